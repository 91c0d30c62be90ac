//! `plumb demo`: a small bank's evidence trail on a fresh embedded store, end to end: record
//! test runs, scans (with the raw reports as blobs), approvals and deployments; sign a
//! checkpoint; export an auditor's pack for one system; verify the pack offline and the store.

use std::path::Path;
use std::process::ExitCode;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use plumb_ledger::statement::Subject;
use plumb_ledger::store::Query;
use plumb_ledger::verify::VerifyOptions;
use plumb_ledger::{InitOptions, Ledger, RecordRequest};

use crate::cli::Format;
use crate::model::DEPLOYMENT;
use crate::output::{Failure, emit, mark};

/// The demo bank's architecture, shipped in the binary (examples/model/bank.yaml).
const BANK_MODEL: &str = include_str!("../../../examples/model/bank.yaml");

const TEST_RESULT: &str = "https://in-toto.io/attestation/test-result/v0.1";
const SCAN: &str = "https://plumbline.dev/attestation/scan/v1";
const APPROVAL: &str = "https://plumbline.dev/attestation/approval/v1";

fn commit(system: &str, n: u32) -> Subject {
    let seed = plumb_ledger::hash::sha256(format!("{system}-{n}").as_bytes());
    Subject {
        name: format!("{system}@{n}"),
        digest: [(
            "gitCommit".to_string(),
            plumb_ledger::hash::hex(&seed[..20]),
        )]
        .into(),
    }
}

/// Marks a directory as made by `plumb demo`, so a later demo may replace it.
const MARKER: &str = ".plumb-demo";

/// Empties `dir` if an earlier demo made it; refuses to touch any other non-empty directory.
fn prepare_dir(dir: &Path) -> Result<(), Failure> {
    let non_empty = std::fs::read_dir(dir)
        .map(|mut d| d.next().is_some())
        .unwrap_or(false);
    if non_empty {
        if !dir.join(MARKER).exists() {
            return Err(Failure::usage(format!(
                "{} exists and was not made by plumb demo",
                dir.display()
            ))
            .hint("choose another --dir"));
        }
        std::fs::remove_dir_all(dir)
            .map_err(|e| Failure::usage(format!("{}: {e}", dir.display())))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| Failure::usage(format!("{}: {e}", dir.display())))?;
    std::fs::write(
        dir.join(MARKER),
        "made by plumb demo; the next demo run replaces this directory\n",
    )
    .map_err(|e| Failure::usage(format!("{}: {e}", dir.display())))
}

pub fn run(dir: &Path, format: Format, now: DateTime<Utc>) -> Result<ExitCode, Failure> {
    prepare_dir(dir)?;
    let store = dir.join("store");
    let mut l = Ledger::init(
        &store,
        InitOptions {
            origin: Some("demo.plumbline.local/bank".into()),
            ..Default::default()
        },
    )
    .map_err(|e| {
        Failure::from(e).hint(format!("choose another --dir, or remove {}", dir.display()))
    })?;
    let reports = dir.join("reports");
    std::fs::create_dir_all(&reports)
        .map_err(|e| Failure::usage(format!("{}: {e}", reports.display())))?;

    let systems = ["payments", "onboarding", "identity", "core-ledger"];
    let mut t = now - Duration::hours(6);
    let mut recorded = 0;
    for (s, system) in systems.iter().enumerate() {
        for n in 0..2u32 {
            let c = commit(system, n);
            let run = format!("{system}-pipeline-{}", 100 + n);
            let failed = (s + n as usize) % 4 == 3;
            let junit = reports.join(format!("{system}-{n}-junit.xml"));
            let sarif = reports.join(format!("{system}-{n}-bandit.sarif"));
            std::fs::write(&junit, format!(
                "<testsuite name=\"{system}\" tests=\"42\" failures=\"{}\" skipped=\"1\"><testcase name=\"transfer_limits\"/></testsuite>\n",
                u8::from(failed)))
                .map_err(|e| Failure::usage(e.to_string()))?;
            std::fs::write(&sarif, json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "bandit"}}, "results": []}]}).to_string())
                .map_err(|e| Failure::usage(e.to_string()))?;
            let rec = |pt: &str,
                       predicate: serde_json::Value,
                       attachments: Vec<std::path::PathBuf>,
                       l: &mut Ledger,
                       t: DateTime<Utc>| {
                l.record(
                    RecordRequest {
                        subjects: vec![c.clone()],
                        predicate_type: pt.into(),
                        predicate,
                        system: Some(system.to_string()),
                        run: Some(run.clone()),
                        attachments,
                    },
                    t,
                )
                .map(|_| ())
            };
            rec(
                TEST_RESULT,
                json!({"result": if failed {"FAILED"} else {"PASSED"}, "passedTests": ["41 tests"], "failedTests": if failed {vec!["test_transfer_limits"]} else {vec![]}}),
                vec![junit],
                &mut l,
                t,
            )?;
            t += Duration::minutes(3);
            rec(
                SCAN,
                json!({"scanner": "bandit", "format": "sarif-2.1.0", "findings": {"critical": 0, "high": 0, "medium": 2}}),
                vec![sarif],
                &mut l,
                t,
            )?;
            t += Duration::minutes(3);
            rec(
                APPROVAL,
                json!({"approver": "a.kowalski", "roles": ["code-owner"], "author": "j.meyer", "commit": c.digest["gitCommit"]}),
                vec![],
                &mut l,
                t,
            )?;
            t += Duration::minutes(3);
            if !failed {
                rec(
                    DEPLOYMENT,
                    json!({"environment": "production", "change_id": format!("CHG-{}", 4000 + s * 10 + n as usize), "rollback_plan": "runbooks/rollback.md"}),
                    vec![],
                    &mut l,
                    t,
                )?;
                t += Duration::minutes(3);
            }
            recorded += 1;
        }
    }
    // The architecture: check the embedded demo model, record the result, compare with the evidence.
    let model_path = dir.join("bank.yaml");
    std::fs::write(&model_path, BANK_MODEL).map_err(|e| Failure::usage(e.to_string()))?;
    let model = plumb_model::load(&model_path).map_err(|e| Failure::usage(e.to_string()))?;
    let model_report = plumb_model::check::check(&model, plumb_model::check::Options::default());
    let (model_entry, _) = l.record(
        RecordRequest {
            subjects: vec![Subject {
                name: "bank.yaml".into(),
                digest: [("sha256".to_string(), model_report.model_digest.clone())].into(),
            }],
            predicate_type: crate::model::MODEL_CHECK.into(),
            predicate: serde_json::to_value(&model_report).expect("JSON"),
            system: None,
            run: None,
            attachments: vec![model_path.clone()],
        },
        now,
    )?;
    let drift = plumb_model::drift::drift(&model, &crate::model::observed_in(&mut l)?);
    let (cp, _) = l.checkpoint(now)?;
    let pack = dir.join("payments-evidence.tar");
    let summary = l.export(
        &Query {
            system: Some("payments".into()),
            ..Default::default()
        },
        &pack,
        now,
    )?;
    let pubkey = dir.join("signing.pub");
    std::fs::write(&pubkey, format!("{}\n", l.public_key().to_text()))
        .map_err(|e| Failure::usage(e.to_string()))?;
    let bytes = std::fs::read(&pack).map_err(|e| Failure::usage(e.to_string()))?;
    let pack_ok = plumb_ledger::pack::verify_pack(&bytes, &[l.public_key()]).is_ok();
    let rep = l.verify(VerifyOptions::default())?;
    let size = l.size()?;
    let store_s = store.display().to_string();
    let out = emit(
        format,
        || {
            format!(
                "Plumbline demo: a small bank's change evidence\n\n\
                 store        {store_s} (embedded SQLite, log demo.plumbline.local/bank)\n\
                 recorded     {size} signed statements for {recorded} changes across {}\n\
                 checkpoint   tree size {} (signed note)\n\
                 pack         {} ({} entries, {} blobs) for system payments\n\
                 verify-pack  {}\n\
                 verify       {} ({} entries, {} signatures)\n\
                 model        {} ({} critical or important functions, {} findings; check recorded as entry {model_entry})\n\
                 drift        {} finding(s) between the model and the recorded deployments\n\n\
                 Try:\n\
                 \x20 plumb model check {}\n\
                 \x20 plumb model impact {} prov-cloudco\n\
                 \x20 plumb --store {store_s} drift --model {}\n\
                 \x20 plumb --store {store_s} log --system payments\n\
                 \x20 plumb --store {store_s} show 0\n\
                 \x20 plumb --store {store_s} prove 3\n\
                 \x20 plumb verify-pack {} --trusted-key {}\n",
                systems.join(", "),
                cp.size,
                pack.display(),
                summary.entries,
                summary.blobs,
                mark(pack_ok),
                mark(rep.ok()),
                rep.entries,
                rep.signatures_checked,
                mark(model_report.ok()),
                model_report.functions.len(),
                model_report.findings.len(),
                drift.len(),
                model_path.display(),
                model_path.display(),
                model_path.display(),
                pack.display(),
                pubkey.display()
            )
        },
        json!({"store": store, "entries": size, "checkpoint_size": cp.size, "pack": pack, "pack_summary": summary, "pack_verified": pack_ok, "verify_ok": rep.ok(), "model_ok": model_report.ok(), "drift": drift}),
    )?;
    Ok(if pack_ok && rep.ok() && model_report.ok() {
        out
    } else {
        ExitCode::from(1)
    })
}
