// Checks an inclusion proof in the browser (RFC 6962: leaf = SHA-256(0x00 || entry),
// node = SHA-256(0x01 || left || right)), independently of the server's own claim.
(async function () {
  const el = document.getElementById("proof");
  if (!el) return;
  const out = document.getElementById("proof-result");
  const d = JSON.parse(el.textContent);
  const hex = (b) => Array.from(new Uint8Array(b)).map((x) => x.toString(16).padStart(2, "0")).join("");
  const unhex = (s) => new Uint8Array(s.match(/../g).map((h) => parseInt(h, 16)));
  const sha = async (parts) => {
    const n = parts.reduce((a, p) => a + p.length, 0);
    const buf = new Uint8Array(n);
    let o = 0;
    for (const p of parts) { buf.set(p, o); o += p.length; }
    return new Uint8Array(await crypto.subtle.digest("SHA-256", buf));
  };
  const entry = Uint8Array.from(atob(d.entry_b64), (c) => c.charCodeAt(0));
  let r = await sha([new Uint8Array([0]), entry]);
  let fn = d.index, sn = d.size - 1;
  for (const p of d.proof.map(unhex)) {
    if (sn === 0) { out.textContent = "proof too long: NOT verified"; out.className = "bad"; return; }
    if ((fn & 1) === 1 || fn === sn) {
      r = await sha([new Uint8Array([1]), p, r]);
      while ((fn & 1) === 0 && fn !== 0) { fn >>= 1; sn >>= 1; }
    } else {
      r = await sha([new Uint8Array([1]), r, p]);
    }
    fn >>= 1; sn >>= 1;
  }
  const ok = sn === 0 && hex(r) === d.root;
  out.textContent = ok ? "inclusion verified in your browser: the entry is in the tree of " + d.size + " entries with root " + d.root.slice(0, 16) + "…" : "inclusion proof does NOT verify";
  out.className = ok ? "pass" : "bad";
})();
