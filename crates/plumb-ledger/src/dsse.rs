//! DSSE envelopes (secure-systems-lab/dsse v1): the signature covers the pre-authentication
//! encoding (PAE) of payload type and payload, never the JSON around them.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::keys::{KeyPair, PublicKey};

/// The payload type of an in-toto statement.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// A DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Base64 of the payload bytes.
    pub payload: String,
    /// Media type of the payload.
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// One or more signatures over PAE(payloadType, payload).
    pub signatures: Vec<Signature>,
}

/// One DSSE signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// Unauthenticated hint naming the key.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub keyid: String,
    /// Base64 of the signature.
    pub sig: String,
}

/// PAE: `"DSSEv1" SP len(type) SP type SP len(body) SP body`, lengths in ASCII decimal.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// Decodes base64 in any of the alphabets DSSE producers use (standard or URL-safe, padded or not).
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    [&STANDARD, &URL_SAFE, &STANDARD_NO_PAD, &URL_SAFE_NO_PAD]
        .iter()
        .find_map(|e| e.decode(s).ok())
}

impl Envelope {
    /// Signs `payload` with one key.
    pub fn sign(payload_type: &str, payload: &[u8], key: &KeyPair) -> Self {
        let sig = key.sign(&pae(payload_type, payload));
        Envelope {
            payload: STANDARD.encode(payload),
            payload_type: payload_type.to_string(),
            signatures: vec![Signature {
                keyid: key.public().dsse_key_id(),
                sig: STANDARD.encode(sig),
            }],
        }
    }

    /// Parses an envelope, enforcing the size cap before reading it.
    pub fn parse(bytes: &[u8], max_size: usize) -> Result<Self> {
        if bytes.len() > max_size {
            return Err(Error::TooLarge {
                what: "envelope".into(),
                size: bytes.len() as u64,
                limit: max_size as u64,
            });
        }
        let env: Envelope = serde_json::from_slice(bytes)
            .map_err(|e| Error::Malformed(format!("envelope is not a DSSE envelope: {e}")))?;
        if env.signatures.is_empty() {
            return Err(Error::Signature("envelope has no signatures".into()));
        }
        Ok(env)
    }

    /// The decoded payload.
    pub fn payload_bytes(&self) -> Result<Vec<u8>> {
        decode_base64(&self.payload)
            .ok_or_else(|| Error::Malformed("envelope payload is not valid base64".into()))
    }

    /// Verifies the signatures against trusted keys and returns the keys that signed.
    ///
    /// At least one signature must verify with a trusted key. A signature whose `keyid` names a
    /// trusted key but does not verify is an error: it means the envelope was altered.
    /// Signatures by keys the store does not know are ignored when a trusted one is present.
    pub fn verify<'k>(&self, trusted: &'k [PublicKey]) -> Result<Vec<&'k PublicKey>> {
        let payload = self.payload_bytes()?;
        let msg = pae(&self.payload_type, &payload);
        let mut signers = Vec::new();
        for (i, s) in self.signatures.iter().enumerate() {
            let sig = decode_base64(&s.sig)
                .ok_or_else(|| Error::Signature(format!("signature {i} is not valid base64")))?;
            let named: Vec<&PublicKey> = trusted
                .iter()
                .filter(|k| k.dsse_key_id() == s.keyid)
                .collect();
            if !named.is_empty() {
                match named.into_iter().find(|k| k.verify(&msg, &sig)) {
                    Some(k) => signers.push(k),
                    None => {
                        return Err(Error::Signature(format!(
                            "signature {i} by trusted key {} does not verify: the envelope was altered or signed over different content",
                            s.keyid
                        )));
                    }
                }
            } else if let Some(k) = trusted.iter().find(|k| k.verify(&msg, &sig)) {
                // keyid is only a hint; a missing or different hint is fine if a key verifies.
                signers.push(k);
            }
        }
        if signers.is_empty() {
            let ids: Vec<&str> = self.signatures.iter().map(|s| s.keyid.as_str()).collect();
            return Err(Error::Signature(format!(
                "no signature is by a key this store trusts (key ids {ids:?}); add the signer's public key with `plumb key trust`"
            )));
        }
        Ok(signers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The PAE example from the DSSE protocol description: a 28-byte in-toto type and body.
    #[test]
    fn pae_matches_the_specification() {
        assert_eq!(
            pae(IN_TOTO_PAYLOAD_TYPE, b"hello world"),
            b"DSSEv1 28 application/vnd.in-toto+json 11 hello world".to_vec()
        );
        // The protocol document's own example: type "http://example.com/HelloWorld", body "hello world".
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    }

    #[test]
    fn signed_envelope_verifies_only_with_its_key_and_content() {
        let k = KeyPair::from_seed("a", [1; 32]).unwrap();
        let other = KeyPair::from_seed("b", [2; 32]).unwrap();
        let env = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, b"{}", &k);
        let trusted = [k.public()];
        assert_eq!(env.verify(&trusted).unwrap()[0], &trusted[0]);
        assert!(matches!(
            env.verify(&[other.public()]),
            Err(Error::Signature(_))
        ));

        let mut tampered = env.clone();
        tampered.payload = STANDARD.encode(b"{ }");
        assert!(matches!(
            tampered.verify(&trusted),
            Err(Error::Signature(_))
        ));

        let mut retyped = env.clone();
        retyped.payload_type = "text/plain".into();
        assert!(retyped.verify(&trusted).is_err());

        let mut garbage = env.clone();
        garbage.signatures[0].sig = "***".into();
        assert!(garbage.verify(&trusted).is_err());
    }

    #[test]
    fn parse_rejects_malformed_and_oversized_envelopes() {
        assert!(matches!(
            Envelope::parse(b"{", 100),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(
            Envelope::parse(b"[]", 100),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(
            Envelope::parse(br#"{"payload":"","payloadType":"x","signatures":[]}"#, 100),
            Err(Error::Signature(_))
        ));
        assert!(matches!(
            Envelope::parse(
                br#"{"payload":"","payloadType":"x","signatures":[],"extra":1}"#,
                100
            ),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(
            Envelope::parse(&[b' '; 101], 100),
            Err(Error::TooLarge { .. })
        ));
        assert_eq!(decode_base64("aGk").unwrap(), b"hi");
        assert_eq!(decode_base64("_-8=").unwrap(), vec![0xff, 0xef]);
    }
}
