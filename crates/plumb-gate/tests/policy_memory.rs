//! A policy that materialises a huge collection is stopped by the heap ceiling, not by the
//! kernel.
//!
//! One test alone in its own test binary on purpose: the ceiling counts the whole process's
//! heap, so an evaluation running beside these in the same process could be stopped too.

use plumb_gate::engine::{POLICY_HEAP_LIMIT, PolicySource, evaluate};
use plumb_gate::error::GateError;
use serde_json::json;

/// Peak resident memory of this process so far (Linux `VmHWM`), in bytes.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn policy(name: &str, condition: &str) -> PolicySource {
    PolicySource {
        name: format!("{name}.rego"),
        text: format!("package {name}\nimport rego.v1\ndeny contains \"hit\" if {condition}\n"),
    }
}

/// Evaluates `condition` as the body of a deny rule with the longest time a configuration may
/// allow, so that only memory can stop it, and checks that the heap ceiling did.
fn stopped_by_the_ceiling(condition: &str) {
    let err = evaluate(
        &[policy("greedy", condition)],
        &json!({}),
        &json!({}),
        10_000,
    )
    .expect_err("cannot be evaluated within the ceiling");
    match err {
        GateError::MemoryLimit { usage, limit } => {
            assert_eq!(limit, POLICY_HEAP_LIMIT);
            assert!(usage > limit, "{usage} {limit}");
        }
        other => panic!("expected the heap ceiling to stop it, got: {other}"),
    }
    if let Some(peak) = peak_rss() {
        // The check runs as the collection grows, so the overshoot is small; 1.5 GiB leaves
        // slack for the allocator's own pages.
        assert!(
            peak < POLICY_HEAP_LIMIT * 3 / 2,
            "peak resident {peak} bytes"
        );
    }
}

#[test]
fn policies_building_huge_collections_end_in_a_memory_error_not_an_abort() {
    // Reserved at once (10^11 elements): refused at the first check.
    stopped_by_the_ceiling("count(numbers.range(0, 100000000000)) < 0");
    // Grown step by step (a thousand fresh copies of a million-element array, 16 GB in all):
    // the check runs as the comprehension grows.
    stopped_by_the_ceiling(
        "count([array.concat(numbers.range(0, 1000000), [i]) | some i in numbers.range(0, 1000)]) < 0",
    );
    // Once the memory is released, the same process evaluates ordinary policies again.
    let (deny, warn) = evaluate(
        &[policy("fine", "count(numbers.range(0, 1000)) == 1001")],
        &json!({}),
        &json!({}),
        10_000,
    )
    .expect("evaluates");
    assert_eq!(deny.len(), 1);
    assert!(warn.is_empty());
}
