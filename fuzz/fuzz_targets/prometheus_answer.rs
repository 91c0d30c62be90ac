//! Answers of the Prometheus query API as `plumb watch` reads them, and each judged as a
//! measurement: a value, an error or no data, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let answer = plumb_resilience::watch::prometheus::parse(data);
    let config = plumb_resilience::watch::config::WatchConfig::parse(
        b"version: 1\nprometheus: {url: 'http://127.0.0.1:9090'}\nsystems: {s: {queries: [{name: q, query: up, success: '< 0.05', failure: '>= 0.2', compare: {max_ratio: 2}}]}}\n",
    );
    if let Ok(c) = config
        && let Some(w) = c.systems.get("s")
        && let Some(q) = w.queries.first()
    {
        let _ = plumb_resilience::watch::judge::measure(q, Some(0.1), "t".into(), answer);
    }
});
