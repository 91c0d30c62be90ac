//! Infrastructure inputs (`--infra`): Terraform plan JSON or Kubernetes manifests.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = plumb_ingest::ingest(&[(plumb_ingest::Kind::Infra, "fuzz".into(), data.to_vec())]);
});
