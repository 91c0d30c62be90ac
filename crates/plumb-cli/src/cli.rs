//! Command-line arguments. Help texts teach: each command says what it does, what it prints and
//! how it exits.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Plumbline: tamper-evident evidence of digital operational resilience (EU DORA).
///
/// Evidence (test runs, scans, approvals, deployments) is recorded as signed in-toto statements
/// in an append-only Merkle log with signed checkpoints. Auditors get evidence packs they can
/// verify offline.
///
/// Exit codes: 0 success, 1 a verification or check failed, 2 usage or input error.
#[derive(Debug, Parser)]
#[command(
    name = "plumb",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Store directory (created by `plumb init`).
    #[arg(long, global = true, env = "PLUMB_STORE", default_value = ".plumb")]
    pub store: PathBuf,

    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// The time to record, as RFC 3339 (default: the clock). Makes runs reproducible.
    #[arg(long, global = true, env = "PLUMB_NOW", value_name = "RFC3339")]
    pub now: Option<String>,

    /// Send `record`, `append`, `gate`, `model check` and `export` to a plumb server instead of
    /// the local store, e.g. https://plumb.bank.internal:8700. The token comes from
    /// PLUMB_TOKEN or --token-file, never from the command line (process lists are public).
    #[arg(long, global = true, env = "PLUMB_SERVER", value_name = "URL")]
    pub server: Option<String>,

    /// File holding the API token for --server (default: the PLUMB_TOKEN variable).
    #[arg(long, global = true, value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    /// PEM certificate(s) to trust for --server instead of the public web roots (a bank's own CA).
    #[arg(long, global = true, env = "PLUMB_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,

    /// Allow --server http:// to a host other than this machine. The token then crosses the
    /// network in clear text; use it only inside a trusted network segment.
    #[arg(long, global = true)]
    pub insecure_http: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Readable text.
    Human,
    /// One JSON document on standard output.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a store: a log database, a blob directory and an Ed25519 signing key.
    ///
    /// The private key is written with mode 0600; the public key is in keys/signing.pub and
    /// printed by `plumb key show`. With --database postgres://..., the log lives in PostgreSQL
    /// (several servers can share it); the password can come from PLUMB_DATABASE_URL or PGPASSWORD.
    ///
    /// Example: plumb init --store /var/lib/plumb --origin evidence.bank.example/prod
    Init {
        /// Log origin (its unique name, also the key name). Default: plumb.local/<dir name>.
        #[arg(long)]
        origin: Option<String>,
        /// `sqlite` (default, one file in the store) or a postgres:// URL.
        #[arg(long)]
        database: Option<String>,
        /// PostgreSQL role that may only SELECT and INSERT on the log tables (the application role).
        #[arg(long, requires = "database")]
        grant_role: Option<String>,
        #[command(flatten)]
        blobs: BlobArgs,
    },

    /// Show, export or trust public keys.
    #[command(subcommand)]
    Key(KeyCommand),

    /// Build, sign and append an in-toto statement; print its index and receipt.
    ///
    /// Example:
    ///   plumb record --subject gitCommit:3f2a... --artifact dist/app.tar \
    ///     --predicate-type https://in-toto.io/attestation/test-result/v0.1 \
    ///     --predicate result.json --system payments --run "$CI_PIPELINE_ID" --attach junit.xml
    Record(RecordArgs),

    /// Sign a statement with the store key and print the DSSE envelope without appending it.
    Sign(StatementArgs),

    /// Append DSSE envelopes signed elsewhere (files, or `-` for one JSON envelope per line).
    ///
    /// Every envelope must carry the in-toto payload type and a valid signature by a key the
    /// store trusts (`plumb key trust`). Files are appended as one batch: all or nothing. From
    /// `-`, lines are appended in batches as they arrive (group commit) and each index is printed
    /// once it is durable.
    Append(AppendArgs),

    /// List entries, filtered by subject, system, predicate type, run or time.
    Log(QueryArgs),

    /// Show one entry: statement, signatures, blobs.
    Show {
        /// Entry index.
        index: u64,
    },

    /// Print an inclusion receipt (C2SP tlog-proof) for an entry, to the latest checkpoint.
    ///
    /// With --witness-key, the receipt's checkpoint must also carry the cosignatures of those
    /// witnesses (exit 1 if not).
    Prove {
        /// Entry index.
        index: u64,
        #[command(flatten)]
        witnesses: WitnessDemand,
    },

    /// Sign a checkpoint for the current tree (after proving it consistent with the last one).
    ///
    /// Example (and have two witnesses cosign it):
    ///   plumb checkpoint --witness "$(cat w1.vkey)@https://w1.example" --witness "$(cat w2.vkey)@https://w2.example"
    Checkpoint {
        /// List all checkpoints instead.
        #[arg(long)]
        list: bool,
        /// A witness to ask for a cosignature of the latest checkpoint: VKEY@URL, its verifier
        /// key (as `plumb witness keygen` prints it), '@', its base URL. Repeatable.
        #[arg(long, value_name = "VKEY@URL", conflicts_with = "list")]
        witness: Vec<String>,
    },

    /// Recompute the whole tree and check every entry, signature, checkpoint and blob.
    ///
    /// Exits 1 and names the first bad entry if anything does not match.
    Verify {
        /// Skip envelope signature checks (faster on very large logs).
        #[arg(long)]
        no_signatures: bool,
        /// Skip re-hashing attached blobs.
        #[arg(long)]
        no_blobs: bool,
        /// Show progress on stderr (entries checked, rate, time left) even when stderr is not a
        /// terminal, e.g. in a CI log; on a terminal it is shown anyway.
        #[arg(long)]
        progress: bool,
        /// With --witness-key: every stored cosignature by those witnesses must verify, and the
        /// latest checkpoint must be cosigned by them (--min-witnesses of them).
        #[command(flatten)]
        witnesses: WitnessDemand,
    },

    /// Write an evidence pack (tar) for auditors: entries, blobs, proofs, checkpoint, keys.
    ///
    /// Example: plumb export --system payments --since 2026-01-01 --out payments-2026.tar
    Export {
        /// Pack file to write.
        #[arg(long, short)]
        out: PathBuf,
        #[command(flatten)]
        filter: Filter,
        /// Show progress on stderr even when stderr is not a terminal (a CI log); on a
        /// terminal a bar is shown anyway.
        #[arg(long)]
        progress: bool,
    },

    /// Verify an evidence pack offline, with only the log's public key.
    ///
    /// With --witness-key, the pack's checkpoint must also be cosigned by those witnesses:
    /// proof that the log showed the same history to them, not a fork made for this pack.
    ///
    /// Example: plumb verify-pack payments-2026.tar --trusted-key signing.pub
    /// Example: plumb verify-pack payments-2026.tar --trusted-key signing.pub \
    ///            --witness-key w1.vkey --witness-key w2.vkey --min-witnesses 1
    VerifyPack {
        /// The pack file.
        pack: PathBuf,
        /// The log's public key file (from `plumb key show`), obtained from the bank independently.
        #[arg(long, required = true)]
        trusted_key: Vec<PathBuf>,
        #[command(flatten)]
        witnesses: WitnessDemand,
        /// Show progress on stderr even when stderr is not a terminal (a CI log); on a
        /// terminal a bar is shown anyway.
        #[arg(long)]
        progress: bool,
    },

    /// Evaluate a change against the DORA baseline and your own Rego policies.
    ///
    /// Reads real scanner and CI outputs, applies waivers, and prints a decision with reasons,
    /// legal references and what to do. Exit 0 pass (or break-glass override), 1 deny, 2 an input,
    /// policy or usage error (which is also a deny: the gate fails closed).
    ///
    /// Example (everything in a config file, so the pipeline step is one line):
    ///   plumb gate --config plumb-gate.yaml
    ///
    /// Example (flags):
    ///   plumb gate --sast bandit.sarif --tests junit.xml --coverage coverage.xml \
    ///     --sbom sbom.json --vulns trivy.json --secrets gitleaks.json \
    ///     --change change.json --approvals approvals.json --system payments --criticality critical
    Gate(Box<GateCmd>),

    /// Work with the architecture model: check, impact, view, convert.
    #[command(subcommand)]
    Model(ModelCmd),

    /// Compare the architecture model with what the evidence ledger recorded.
    ///
    /// Finds services deployed that the model does not know, modelled applications never
    /// deployed, and SDKs of ICT providers in recorded SBOMs for providers missing from the model.
    /// Exit 1 when there is error-level drift.
    Drift {
        /// The model (.xml exchange file, .yaml, or Archi CSV elements.csv / directory).
        #[arg(long)]
        model: PathBuf,
        /// Also write the findings as SARIF.
        #[arg(long, value_name = "FILE")]
        sarif_out: Option<PathBuf>,
    },

    /// Delivery measures from the evidence: deployment frequency, lead time for changes,
    /// change failure rate, failed deployment recovery time and rework rate.
    ///
    /// Computed from the signed deployment records and incidents in the store (failed and
    /// staging deployments do not count), with the DORA 2023 performance level of each. Every
    /// number can be checked: --explain lists the deployments behind it with their entry
    /// numbers and why each failed. Definitions: docs/metrics.md.
    ///
    /// Example: plumb metrics --period 2026-Q3 --system payments --granularity week --explain
    Metrics(MetricsArgs),

    /// Resilience test evidence (DORA Arts. 24-25): record drills and chaos experiments, and
    /// check every critical or important function against them.
    ///
    /// Example: plumb resilience record drill.yaml --model bank.yaml && plumb resilience status --model bank.yaml
    #[command(subcommand)]
    Resilience(ResilienceCmd),

    /// The DORA Register of Information (ITS 2024/2956): built from the architecture model and
    /// a register file, checked as the EBA checks it, imported from an earlier submission.
    ///
    /// Examples:
    ///   plumb register build examples/register/register.yaml --model examples/model/bank.yaml --out out/
    ///   plumb register check out/5299...IND_DE_DORA010100_DORA_2025-12-31_....zip
    ///   plumb register import last-year.zip --out register.yaml
    ///   plumb register diff last-year.zip out/this-year.zip
    ///   plumb register templates B_02.02         # one template's columns
    ///   plumb register codes ICT_SERVICE_TYPE    # the EBA codes of a closed list
    #[command(subcommand, verbatim_doc_comment)]
    Register(RegisterCmd),

    /// Run a witness (C2SP tlog-witness) that cosigns other logs' checkpoints as they grow and
    /// refuses any that fork from what it cosigned.
    ///
    /// Examples:
    ///   plumb witness keygen --name witness.bank.example/w1 --out w1.key   # prints its public key
    ///   plumb --store /srv/plumb key show > log.pub                          # the log to follow
    ///   plumb witness serve --key w1.key --log log.pub --state w1.json --init --listen 127.0.0.1:8710
    #[command(subcommand, verbatim_doc_comment)]
    Witness(WitnessCmd),

    /// Watch a deployment: ask Prometheus, judge, record the verdict, roll back on failure.
    ///
    /// Every interval each query of the system's watch (--config) is evaluated against the
    /// Prometheus HTTP API and judged as Argo Rollouts' analysis does: Successful, Failed or
    /// Inconclusive, with failure, inconclusive and consecutive-error limits, and optionally
    /// against the same query at the deployment's time. The verdict is recorded with every
    /// sample as a signed post-deployment verification of the latest deployment of the system
    /// (or --deployment). On Failed the configured rollback command runs (argv, no shell), the
    /// rollback is recorded as a deployment that remedies the watched one, and an incident is
    /// opened linked to it. Prometheus unreachable is never Successful. The watch runs on the
    /// real clock (--now does not apply).
    ///
    /// Exit codes: 0 Successful, 1 Failed or Inconclusive (the pipeline stops), 2 bad
    /// configuration or usage.
    ///
    /// Examples:
    ///   plumb watch --config examples/watch/watch.yaml --system payments --incidents examples/incident/incident.yaml
    ///   plumb --format json watch --config watch.yaml --system payments --deployment 42 --no-rollback
    ///   plumb watch --analysis-run run.yaml --system payments       # Argo Rollouts did the analysis
    ///   plumb --server https://plumb.bank.internal watch --system payments --config watch.yaml   # the server watches
    #[command(verbatim_doc_comment)]
    Watch(WatchArgs),

    /// Generate a service repository from the architecture model (architecture to code).
    ///
    /// Every application component with a `plumb:template` property (rust-axum or
    /// python-fastapi, or a bank's own with --templates) becomes a service with registration,
    /// login, its onboarding workflow from the model, health, metrics and tests against
    /// PostgreSQL. Around them: docker compose, GitHub Actions and GitLab CI pipelines that run
    /// `plumb gate` and `plumb record`, runbooks with the fall-back procedure, compliance
    /// mappings (DORA, GDPR records of processing, SOC 2) derived from the model, and the
    /// ArchiMate blueprint. A manifest (.plumb/scaffold.json) records what was generated.
    ///
    /// Running it again on a changed model updates what it generated and never overwrites a
    /// file you edited: such a file is a conflict, its new version waits in .plumb/pending/.
    ///
    /// Exit codes: 0 done (or no drift), 1 conflicts, drift (--check) or failing tests
    /// (--verify), 2 bad model, template or usage.
    ///
    /// Examples:
    ///   plumb scaffold --model examples/model/bank.yaml --out bank-services
    ///   plumb scaffold --out bank-services --check        # model and repository still agree?
    ///   plumb scaffold --out bank-services --verify       # build and test what was generated
    ///   plumb scaffold --list-templates
    #[command(verbatim_doc_comment)]
    Scaffold(ScaffoldArgs),

    /// Serve the evidence API and the web UI over the store.
    ///
    /// Pipelines append with recorder tokens; auditors read with auditor tokens. Create tokens
    /// with `plumb token create` (local access to the store is the bootstrap).
    ///
    /// Examples:
    ///   plumb --store /srv/plumb serve --listen 0.0.0.0:8700
    ///   plumb --store /srv/plumb serve --gate-config /etc/plumb/gate --incidents /etc/plumb/incident.yaml
    #[command(verbatim_doc_comment)]
    Serve {
        /// Address and port to listen on.
        #[arg(long, default_value = "127.0.0.1:8700")]
        listen: std::net::SocketAddr,
        /// Milliseconds between checkpoints while the log grows.
        #[arg(long, default_value_t = 1000)]
        checkpoint_every_ms: u64,
        /// TLS certificate chain (PEM); with --tls-key, serve HTTPS (cookies become Secure, HSTS is sent).
        #[arg(long, requires = "tls_key", value_name = "PEM")]
        tls_cert: Option<PathBuf>,
        /// TLS private key (PEM).
        #[arg(long, requires = "tls_cert", value_name = "PEM")]
        tls_key: Option<PathBuf>,
        /// Incident configuration (entity, Member State, bank holidays, model): enables the
        /// alert webhooks, /v1/incidents and the incidents pages.
        #[arg(long, value_name = "FILE", env = "PLUMB_INCIDENT_CONFIG")]
        incidents: Option<PathBuf>,
        /// Minutes after which an idle web UI session ends (it also ends when its token is
        /// revoked or expires, and after 8 hours in any case).
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=480))]
        session_idle_minutes: u64,
        /// Seconds between the signed summaries of routine access (authenticated machine
        /// requests, requests without a token, failed authentications).
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
        audit_every_secs: u64,
        /// A reverse proxy whose X-Forwarded-For names the client (repeatable). Without it,
        /// the peer address is the client, which behind a proxy makes every client one.
        #[arg(long = "trusted-proxy", value_name = "IP")]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// Directory of gate configurations, one SYSTEM.yaml per system (the format of
        /// `plumb gate --config`, without inputs) and optionally default.yaml. Pipelines calling
        /// POST /v1/gate send only their inputs; criticality, thresholds, rules, policies,
        /// waivers and break-glass executives come from here. Without it every system gets the
        /// built-in default: every baseline rule on, criticality critical. Read at start.
        #[arg(long, value_name = "DIR", env = "PLUMB_GATE_CONFIG")]
        gate_config: Option<PathBuf>,
        /// The post-deployment watch configuration (the format of `plumb watch --config`):
        /// enables POST /v1/watches, so pipelines start a watch the server runs and records
        /// (`plumb watch --server`). Read at start.
        #[arg(long, value_name = "FILE")]
        watch_config: Option<PathBuf>,
        /// The architecture model the server judges resilience by (the Resilience page and the
        /// gate's DORA-RES-003), so no pipeline recording a model check can move it; without
        /// it, the incident configuration's model, else the latest recorded model check. Read
        /// at start.
        #[arg(long, value_name = "FILE")]
        model: Option<PathBuf>,
        /// Connections open at once (TLS handshakes included); past it a new connection is
        /// closed at once and counted in /metrics.
        #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        max_connections: u64,
        /// Seconds a client may take to send a request's headers; also how long an idle
        /// keep-alive connection stays open. TLS handshakes get the same.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
        header_timeout_secs: u64,
        /// Seconds a whole request may take, body included (blob uploads too); past it the
        /// answer is 408.
        #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600))]
        request_timeout_secs: u64,
        /// Entries an evidence pack downloaded from the server may hold (GET /v1/export, the
        /// UI's export); a larger selection is refused with 413 and a hint to narrow it, or to
        /// run `plumb export` on the store's machine. Bounds the time and memory of a download
        /// whatever the size of the log.
        #[arg(long, default_value_t = 200_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
        max_pack_entries: u64,
        /// A witness to ask for a cosignature of every checkpoint: VKEY@URL, its verifier key
        /// (as `plumb witness keygen` prints it), '@', its base URL. Repeatable. Cosignatures
        /// are stored with the checkpoints and published with them (receipts, packs, the API);
        /// a witness that is down or refuses is logged and asked again later.
        #[arg(long, value_name = "VKEY@URL")]
        witness: Vec<String>,
    },

    /// Incidents: open, classify (RTS 2024/1772), report (ITS 2025/302) and resolve, with the
    /// reporting clocks of RTS 2025/301 Art. 5.
    ///
    /// Every change is an event in the ledger; `show` rebuilds the incident from it. Locally
    /// (with --config, the entity and its bank holidays) or against a server (--server, which
    /// has its own configuration). See docs/incidents.md.
    ///
    /// Example: plumb incident --config examples/incident/incident.yaml classify INC-1A2B3C4D5E --assessment assessment.yaml
    Incident(IncidentArgs),

    /// Create, list or revoke API tokens (stored only as hashes).
    #[command(subcommand)]
    Token(TokenCmd),

    /// Run the whole flow on a fresh embedded store, then serve the web UI.
    ///
    /// Eight changes go through the real gate (passing, failing, a waiver, a break-glass); every
    /// decision and deployment is signed into the ledger; the bank's architecture model is
    /// checked; an auditor's pack is exported and verified; the UI is served on --listen with a
    /// printed auditor token until Ctrl-C.
    Demo {
        /// Directory for the demo (replaced if an earlier demo made it).
        #[arg(long, default_value = "plumb-demo")]
        dir: PathBuf,
        /// Where to serve the UI.
        #[arg(long, default_value = "127.0.0.1:8700")]
        listen: std::net::SocketAddr,
        /// Build the evidence and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
}

/// Where `plumb init` puts evidence files (blobs).
#[derive(Debug, Args)]
pub struct BlobArgs {
    /// Keep blobs in S3-compatible object storage: s3://bucket/prefix. The bucket must have
    /// versioning on (and Object Lock, with --retention-days); credentials come from
    /// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, never from the store's files.
    /// Default: the store's blobs/ directory.
    #[arg(long, value_name = "s3://BUCKET/PREFIX")]
    pub blobs: Option<String>,
    /// The S3 service's URL (PLUMB_S3_ENDPOINT overrides it at run time).
    #[arg(
        long,
        value_name = "URL",
        requires = "blobs",
        default_value = "https://s3.amazonaws.com"
    )]
    pub s3_endpoint: String,
    /// The region requests are signed for.
    #[arg(
        long,
        value_name = "REGION",
        requires = "blobs",
        default_value = "us-east-1"
    )]
    pub s3_region: String,
    /// Object Lock retention for every new blob, in days from its upload.
    #[arg(long, value_name = "DAYS", requires = "blobs", value_parser = clap::value_parser!(u32).range(1..=36_500))]
    pub retention_days: Option<u32>,
    /// The lock mode: compliance (nobody can delete or shorten it, what regulators accept
    /// for WORM retention) or governance (a special permission can bypass it).
    #[arg(long, value_name = "MODE", requires = "retention_days", default_value = "compliance", value_parser = ["compliance", "governance"])]
    pub retention_mode: String,
}

/// `plumb model diff` options.
#[derive(Debug, Args)]
pub struct ModelDiffArgs {
    /// The old model, then the new one; with --git, only the new one (the working-tree file).
    #[arg(num_args = 1..=2, required = true, value_name = "OLD NEW")]
    pub models: Vec<PathBuf>,
    /// Compare the file with its version at this git revision (a branch, tag or commit).
    #[arg(long, value_name = "REV")]
    pub git: Option<String>,
    /// Exit 1 when the change introduces findings of this kind: `new-errors`.
    #[arg(long, value_name = "WHAT", value_parser = ["new-errors"])]
    pub fail_on: Option<String>,
    /// Share of critical or important functions on one provider that is reported [default: 0.5].
    #[arg(long, value_name = "SHARE")]
    pub concentration_threshold: Option<f64>,
}

/// Cosignatures a verifier demands of a checkpoint.
#[derive(Debug, Args)]
pub struct WitnessDemand {
    /// A witness whose cosignature you trust: its verifier key (as `plumb witness keygen`
    /// prints it) or a file holding it, obtained from the witness independently. Repeatable.
    #[arg(long, value_name = "VKEY|FILE")]
    pub witness_key: Vec<String>,
    /// How many of the --witness-key witnesses must have cosigned (default: all of them).
    #[arg(long, value_name = "N", requires = "witness_key")]
    pub min_witnesses: Option<usize>,
}

/// `plumb scaffold` options.
#[derive(Debug, Args)]
pub struct ScaffoldArgs {
    /// The model (.xml exchange file, .yaml, or Archi CSV). Default: the one the repository
    /// was generated from (its manifest).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// The repository directory to generate or update.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Generate only this component (element id or service name); repeatable. Default: every
    /// component with a plumb:template (or the manifest's choice when updating).
    #[arg(long = "component", value_name = "ID")]
    pub components: Vec<String>,
    /// Template for components that have no plumb:template property.
    #[arg(long, value_name = "NAME")]
    pub default_template: Option<String>,
    /// A directory of your own template sets (NAME/template.yaml, NAME/files/); a set named
    /// like a shipped one replaces it.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Repository name (default: the model's name, lower case with hyphens).
    #[arg(long)]
    pub name: Option<String>,
    /// Generate into a directory that is not empty and was not generated by plumb; files in
    /// the way are overwritten.
    #[arg(long)]
    pub force: bool,
    /// Show what would be written, write nothing.
    #[arg(long, conflicts_with_all = ["check"])]
    pub dry_run: bool,
    /// Report drift between the model and the repository (exit 1 on drift); write nothing.
    #[arg(long)]
    pub check: bool,
    /// Run the repository's own build and tests (scripts/verify) after generating, or alone
    /// when --model is not given; exit 1 if they fail.
    #[arg(long, conflicts_with_all = ["check", "dry_run"])]
    pub verify: bool,
    /// A conflicting file you have merged with its pending version (.plumb/pending/PATH);
    /// repeatable.
    #[arg(long, value_name = "PATH")]
    pub resolved: Vec<String>,
    /// List the template sets and their controls, then exit.
    #[arg(long)]
    pub list_templates: bool,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Print the store's public key (give this to auditors).
    Show,
    /// Trust a public key file: envelopes it signs are accepted by `plumb append`.
    Trust {
        /// Verifier key file (`<name>+<id>+<base64>`).
        file: PathBuf,
    },
    /// List the trusted keys.
    List,
}

#[derive(Debug, Args)]
pub struct StatementArgs {
    /// Subject digest: ALG:VALUE or NAME=ALG:VALUE (e.g. gitCommit:3f2a..., app=sha256:ab12...).
    #[arg(long = "subject", value_name = "[NAME=]ALG:VALUE")]
    pub subjects: Vec<String>,
    /// A file to hash as a subject (sha256, named by its file name).
    #[arg(long = "artifact", value_name = "FILE")]
    pub artifacts: Vec<PathBuf>,
    /// Predicate type URI.
    #[arg(long, value_name = "URI")]
    pub predicate_type: String,
    /// Predicate JSON file (`-` for standard input). Default: {}.
    #[arg(long, value_name = "FILE")]
    pub predicate: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    #[command(flatten)]
    pub statement: StatementArgs,
    #[command(flatten)]
    pub labels: Labels,
    /// Write the receipt to this file as well.
    #[arg(long, value_name = "FILE")]
    pub receipt: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct Labels {
    /// System (service) the evidence belongs to.
    #[arg(long)]
    pub system: Option<String>,
    /// Pipeline run id.
    #[arg(long)]
    pub run: Option<String>,
    /// Raw evidence file to store as a blob and reference from the entry (repeatable).
    #[arg(long = "attach", value_name = "FILE")]
    pub attach: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AppendArgs {
    /// Envelope files, or `-` for JSON lines on standard input.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub labels: Labels,
    /// Show progress on stderr (envelopes checked; for `-` from a file, bytes read) even when
    /// stderr is not a terminal, e.g. in a CI log; on a terminal a bar is shown anyway.
    #[arg(long)]
    pub progress: bool,
}

#[derive(Debug, Args)]
pub struct Filter {
    /// Subject digest value, optionally ALG:VALUE.
    #[arg(long)]
    pub subject: Option<String>,
    /// System name.
    #[arg(long)]
    pub system: Option<String>,
    /// Predicate type URI.
    #[arg(long)]
    pub predicate_type: Option<String>,
    /// Pipeline run id.
    #[arg(long)]
    pub run: Option<String>,
    /// From this time (RFC 3339 or YYYY-MM-DD), inclusive.
    #[arg(long)]
    pub since: Option<String>,
    /// Until this time, exclusive.
    #[arg(long)]
    pub until: Option<String>,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    #[command(flatten)]
    pub filter: Filter,
    /// At most this many entries.
    #[arg(long, default_value_t = 100)]
    pub limit: u64,
    /// Only entries after this index (the last index of the previous page).
    #[arg(long)]
    pub after: Option<u64>,
    /// Newest entries first.
    #[arg(long)]
    pub newest_first: bool,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct GateCmd {
    #[command(subcommand)]
    pub sub: Option<GateSub>,
    #[command(flatten)]
    pub run: GateRun,
}

#[derive(Debug, Subcommand)]
pub enum GateSub {
    /// Print the JSON Schema of the policy input (the normalised facts).
    Schema,
    /// Print the exact JSON a policy receives as `input` for these inputs (the same flags as
    /// the gate itself), to write and debug policies against real data.
    ///
    /// Example: plumb gate facts --infra plan.json --system payments --criticality critical
    Facts(Box<GateRun>),
    /// Run policy unit tests, as `opa test` does: every `test_` rule in `*_test.rego` files
    /// under the paths must be true, with the policies next to them and the DORA baseline
    /// loaded. Exit 1 when a test fails or errors.
    ///
    /// Example: plumb gate test examples/gate/policies
    Test {
        /// Policy files or directories (every .rego in a directory; *_test.rego are the tests).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Gate configuration whose settings the tests see as data.plumb.config.
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Show the built-in policy.
    #[command(subcommand)]
    Policy(PolicyCmd),
}

#[derive(Debug, Subcommand)]
pub enum PolicyCmd {
    /// Print the DORA baseline policy (Rego) and its rules.
    Show,
}

#[derive(Debug, Args)]
pub struct GateRun {
    /// Gate configuration (YAML or JSON); flags add to it or override it.
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// SARIF 2.1.0 from static analysis (repeatable).
    #[arg(long, value_name = "FILE")]
    pub sast: Vec<PathBuf>,
    /// CycloneDX 1.4-1.6 or SPDX 2.2/2.3 JSON SBOM (repeatable).
    #[arg(long, value_name = "FILE")]
    pub sbom: Vec<PathBuf>,
    /// Trivy, Grype, osv-scanner JSON, an OSV record, SARIF or CycloneDX VEX (repeatable).
    #[arg(long, value_name = "FILE")]
    pub vulns: Vec<PathBuf>,
    /// gitleaks JSON or SARIF, or a detect-secrets baseline (repeatable).
    #[arg(long, value_name = "FILE")]
    pub secrets: Vec<PathBuf>,
    /// JUnit XML (repeatable).
    #[arg(long, value_name = "FILE")]
    pub tests: Vec<PathBuf>,
    /// LCOV or Cobertura XML (repeatable; merged).
    #[arg(long, value_name = "FILE")]
    pub coverage: Vec<PathBuf>,
    /// Architecture model (YAML, CSV or exchange XML): resources and workloads tagged
    /// plumb:system are judged by their own system's criticality and personal data.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Infrastructure (repeatable): Terraform/OpenTofu plan JSON (terraform show -json
    /// plan.out) or Kubernetes manifests (helm template, kustomize build); told apart by content.
    #[arg(long, value_name = "FILE")]
    pub infra: Vec<PathBuf>,
    /// Change metadata JSON (author, commit, pull_request, environment, runbook, rollback_plan, change_id, changed_paths).
    #[arg(long, value_name = "FILE")]
    pub change: Option<PathBuf>,
    /// Approvals JSON: [{by, roles, at, commit}].
    #[arg(long, value_name = "FILE")]
    pub approvals: Option<PathBuf>,
    /// CODEOWNERS file, matched against the change's changed_paths.
    #[arg(long, value_name = "FILE")]
    pub codeowners: Option<PathBuf>,
    /// Change author (overrides the change file).
    #[arg(long)]
    pub author: Option<String>,
    /// Commit SHA (overrides the change file).
    #[arg(long)]
    pub commit: Option<String>,
    /// Runbook link (overrides the change file).
    #[arg(long)]
    pub runbook: Option<String>,
    /// Rollback plan link (overrides the change file).
    #[arg(long)]
    pub rollback_plan: Option<String>,
    /// Change ticket id (overrides the change file).
    #[arg(long)]
    pub change_id: Option<String>,
    /// Waiver file (YAML; repeatable).
    #[arg(long, value_name = "FILE")]
    pub waivers: Vec<PathBuf>,
    /// Your own Rego policy file or directory of .rego files (repeatable).
    #[arg(long, value_name = "PATH")]
    pub policy: Vec<PathBuf>,
    /// System being gated.
    #[arg(long)]
    pub system: Option<String>,
    /// Criticality of the functions the system supports.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(plumb_base::Criticality::ALL.map(|c| c.name())))]
    pub criticality: Option<String>,
    /// Target environment (e.g. production).
    #[arg(long)]
    pub environment: Option<String>,
    /// Minimum line coverage in percent (default 80).
    #[arg(long)]
    pub coverage_threshold: Option<f64>,
    /// Override a deny: why (needs --break-glass-approver, an executive from the configuration).
    #[arg(long, requires = "break_glass_approver", value_name = "JUSTIFICATION")]
    pub break_glass: Option<String>,
    /// The executive approving the break-glass override.
    #[arg(long, requires = "break_glass", value_name = "WHO")]
    pub break_glass_approver: Option<String>,
    /// Also write the decision as JUnit XML (for CI test tabs).
    #[arg(long, value_name = "FILE")]
    pub junit_out: Option<PathBuf>,
    /// Also write the decision as Markdown (pull-request comments, $GITHUB_STEP_SUMMARY).
    #[arg(long, value_name = "FILE")]
    pub markdown_out: Option<PathBuf>,
    /// Also write the decision as JSON.
    #[arg(long, value_name = "FILE")]
    pub json_out: Option<PathBuf>,
    /// Also write the decision as SARIF 2.1.0 (GitHub code scanning: upload it with
    /// github/codeql-action/upload-sarif).
    #[arg(long, value_name = "FILE")]
    pub sarif_out: Option<PathBuf>,
    /// Also write the decision as a GitLab Code Quality report (artifacts:reports:codequality).
    #[arg(long, value_name = "FILE")]
    pub codequality_out: Option<PathBuf>,
    /// Also print GitHub Actions workflow commands (::error, ::warning) after the report, so
    /// each violation annotates the run and the pull request.
    #[arg(long)]
    pub github_annotations: bool,
    /// Append the decision to the evidence store (--store) as a signed statement, inputs as blobs.
    #[arg(long)]
    pub record: bool,
    /// Artifact file whose digest is a subject of the recorded decision (repeatable).
    #[arg(long, value_name = "FILE")]
    pub artifact: Vec<PathBuf>,
    /// Pipeline run id for the recorded decision.
    #[arg(long)]
    pub run: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ModelCmd {
    /// Review a model change: what changed between OLD and NEW and what it does to DORA.
    ///
    /// Elements, relationships and properties added, removed and changed; per critical or
    /// important function, criticality, RTO/RPO, the elements and ICT providers it depends on;
    /// provider concentration; model-check findings fixed and introduced. Markdown for a
    /// pull-request comment (the default output), or --format json. Exit 1 with
    /// --fail-on new-errors when the change introduces an error-level finding.
    ///
    /// Example: plumb model diff old/bank.yaml bank.yaml
    /// Example (against a git revision, in CI): plumb model diff --git origin/main bank.yaml --fail-on new-errors
    Diff(ModelDiffArgs),

    /// List the model checks: id, level, what each finds, the law it applies and the fix.
    ///
    /// Example: plumb model rules --format json
    Rules,
    /// Check DORA traceability and the ArchiMate 3.2 relationship rules; exit 1 on errors.
    ///
    /// Example: plumb model check examples/model/bank.yaml --sarif-out model.sarif --record
    Check {
        /// The model (.xml exchange file, .yaml, or Archi CSV elements.csv / directory).
        model: PathBuf,
        /// Share of critical or important functions on one provider that is reported (DORA
        /// Art. 29), above 0 and at most 1 [default: 0.5]
        #[arg(long, value_name = "SHARE")]
        concentration_threshold: Option<f64>,
        /// Also write the findings as SARIF (`-` for standard output).
        #[arg(long, value_name = "FILE")]
        sarif_out: Option<PathBuf>,
        /// Record the result in the evidence store (subject: the model's digest).
        #[arg(long)]
        record: bool,
        /// Refuse ArchiMate 2.x models instead of converting them as Archi does on opening
        /// (the conversions are listed with the findings).
        #[arg(long)]
        refuse_archimate2: bool,
        /// Also check every critical or important function against the resilience tests
        /// recorded in --store (DORA-RES-001: a passed test within --max-test-age-days;
        /// DORA-RES-002: its measured recovery within the function's RTO).
        #[arg(long)]
        resilience: bool,
        /// How old the last passed resilience test may be, with --resilience.
        #[arg(
            long,
            default_value_t = 365,
            value_name = "DAYS",
            requires = "resilience"
        )]
        max_test_age_days: i64,
    },
    /// What fails if ELEMENT fails: the critical and important functions that depend on it.
    Impact {
        /// The model.
        model: PathBuf,
        /// Element id.
        element: String,
    },
    /// Write a layered SVG diagram of the model, or of one function's dependency slice.
    View {
        /// The model.
        model: PathBuf,
        /// Only this element and what it depends on.
        #[arg(long, conflicts_with_all = ["view", "list"])]
        function: Option<String>,
        /// Draw one of the model's own views (its id or name), as the architect drew it
        /// (exchange, Archi and YAML models that have views; see --list).
        #[arg(long, value_name = "NAME_OR_ID", conflicts_with = "list")]
        view: Option<String>,
        /// Draw over the view what fails with this element: it filled red, the elements and
        /// relationships on its paths to the critical or important functions in orange.
        #[arg(long, value_name = "ELEMENT", requires = "view")]
        impact: Option<String>,
        /// Mark the elements with drift findings (what runs differs from the model, as `plumb
        /// drift` reads the store's deployments and SBOMs) with a purple ≠ badge.
        #[arg(long, requires = "view")]
        drift: bool,
        /// List the model's own views (id, name, how many nodes and connections).
        #[arg(long)]
        list: bool,
        /// SVG file to write.
        #[arg(long, short, required_unless_present = "list")]
        out: Option<PathBuf>,
    },
    /// Convert between the exchange format (xml), Archi CSV (csv: a directory) and YAML.
    Convert {
        /// The model.
        model: PathBuf,
        /// Target format: xml (the Open Group exchange format), archimate (Archi's own), csv
        /// (Archi's CSV) or yaml.
        #[arg(long, value_parser = ["xml", "archimate", "csv", "yaml"])]
        to: String,
        /// File (xml, archimate, yaml) or directory (csv) to write.
        #[arg(long, short)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Create a token; its secret is printed once.
    ///
    /// Examples:
    ///   plumb token create --role recorder --system payments --label github-actions
    ///   plumb token create --role auditor --system payments --label "external audit 2026"
    ///   plumb token create --role controller --system payments --label flagger --ttl-hours 2160
    #[command(verbatim_doc_comment)]
    Create {
        /// admin, recorder, auditor, incident-manager, metrics (Prometheus' scrape token) or
        /// controller (Argo Rollouts or Flagger asking for verdicts; nothing else).
        #[arg(long, value_parser = ["admin", "recorder", "auditor", "incident-manager", "metrics", "controller"])]
        role: String,
        /// Systems the token is limited to (repeatable): a recorder writes only for them and a
        /// controller reads only their verdicts (required for both); an auditor or incident
        /// manager reads only them (every system without). Admin and metrics tokens cannot be
        /// limited.
        #[arg(long = "system")]
        systems: Vec<String>,
        /// Who or what it is for.
        #[arg(long, default_value = "")]
        label: String,
        /// Lifetime in hours, 1 to 8784 (one year); default 1 for recorders, 2160 for metrics,
        /// 720 otherwise.
        #[arg(long)]
        ttl_hours: Option<i64>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by id.
    Revoke {
        /// Token id (from `plumb token list`).
        id: String,
    },
}

/// `plumb incident`.
#[derive(Debug, clap::Args)]
pub struct IncidentArgs {
    /// Incident configuration (entity, Member State, bank holidays, model); needed without --server.
    #[arg(long, value_name = "FILE", env = "PLUMB_INCIDENT_CONFIG")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub cmd: IncidentCmd,
}

/// A report stage.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum StageArg {
    /// Initial notification.
    Initial,
    /// Intermediate report.
    Intermediate,
    /// Final report.
    Final,
}

/// Incident subcommands.
#[derive(Debug, Subcommand)]
pub enum IncidentCmd {
    /// Incidents with status, classification and the next deadline.
    List,
    /// One incident: classification explained, deadlines explained, linked deployments, timeline.
    Show {
        /// Incident id.
        id: String,
    },
    /// Open an incident that did not come from monitoring.
    Open {
        /// Title.
        #[arg(long)]
        title: String,
        /// Description (field 2.4).
        #[arg(long, default_value = "")]
        description: String,
        /// Affected service (pipeline system name); repeatable.
        #[arg(long = "service")]
        services: Vec<String>,
        /// When the entity became aware (RFC 3339; default now).
        #[arg(long)]
        detected_at: Option<String>,
        /// How it was discovered (field 2.7: staff, clients, it_security, ...).
        #[arg(long)]
        discovery: Option<String>,
        /// Commit or deployment entry suspected of causing it; repeatable.
        #[arg(long = "caused-by")]
        caused_by: Vec<String>,
    },
    /// Feed an alert payload (Alertmanager webhook or generic alert JSON) as the server would.
    Alert {
        /// The payload file.
        file: PathBuf,
        /// alertmanager or generic.
        #[arg(long, default_value = "alertmanager")]
        kind: String,
    },
    /// Classify under RTS 2024/1772 from an assessment (YAML/JSON, see examples/incident/assessment.yaml).
    Classify {
        /// Incident id.
        id: String,
        /// The assessment file.
        #[arg(long)]
        assessment: PathBuf,
    },
    /// Reclassify a major incident as non-major: it at no time met the criteria (ITS 2025/302 Art. 5).
    Reclassify {
        /// Incident id.
        id: String,
        /// The new assessment.
        #[arg(long)]
        assessment: PathBuf,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Generate a report (ITS 2025/302 Annex I) and list what the stage still requires.
    Report {
        /// Incident id.
        id: String,
        /// Which report.
        #[arg(long, value_enum)]
        stage: StageArg,
        /// Fields by code that the ledger does not know (YAML/JSON, e.g. examples/incident/initial.yaml).
        #[arg(long)]
        details: Option<PathBuf>,
        /// Write the document for the authority here: the ESAs' IR JSON structure
        /// (incidentSubmission, submittingEntity, incident.classificationTypes[], ...).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write the same report as fields by code (1.1 to 4.16) here, for people and tools.
        #[arg(long, value_name = "FILE")]
        fields_out: Option<PathBuf>,
        /// Write a readable HTML rendering here.
        #[arg(long)]
        html: Option<PathBuf>,
        /// Also validate against this JSON Schema from your authority (its IR file); failures
        /// count as missing, so the report cannot be submitted. Overrides the configuration's
        /// ir.schema. Not with --server: the server's configuration decides.
        #[arg(long, value_name = "FILE")]
        schema: Option<PathBuf>,
        /// IR version to write and check: 1.2, 1.2.1 (default) or 1.3. Overrides ir.version.
        #[arg(long, value_name = "VERSION")]
        ir_version: Option<String>,
    },
    /// Recurring incidents (RTS 2024/1772 Art. 8(2)): non-major incidents with the same
    /// apparent root cause, at least twice within six months, that are major together. Lists
    /// the groups (run it monthly, as the RTS asks); with --open, opens one major incident per
    /// new group, reported in aggregated form (ITS 2025/302 Art. 3: field 2.2 is the detection
    /// of the last of them, 4.15 and 4.16 say which recurred and when).
    ///
    /// Example: plumb incident --config incident.yaml recurring --open
    Recurring {
        /// Open a major incident for each group not yet opened; its reporting clocks start now.
        #[arg(long)]
        open: bool,
    },
    /// Record a cyber threat (RTS 2024/1772 Art. 10) in the ledger: the test says whether it
    /// is significant and, if it is, the voluntary notification to the authority (DORA Art.
    /// 19(2), ITS 2025/302 Annexes III-IV) is written in the authorities' CYB JSON structure.
    ///
    /// Example: plumb incident --config incident.yaml threat --details examples/incident/threat.yaml --out cyb.json
    Threat {
        /// The threat (YAML/JSON, see examples/incident/threat.yaml).
        #[arg(long)]
        details: PathBuf,
        /// Write the notification here (significant threats only).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Recorded cyber threats, newest first.
    Threats,
    /// Check an IR JSON document (from Plumbline or elsewhere) against every per-stage and
    /// conditional rule, and against your authority's schema file when given. Exit 1 when a
    /// rule is broken, naming the field and the rule.
    ///
    /// Example: plumb incident validate final.json --schema DORA_IR_Schema_v1.2.1.json
    Validate {
        /// The IR JSON document.
        file: PathBuf,
        /// Your authority's JSON Schema file.
        #[arg(long, value_name = "FILE")]
        schema: Option<PathBuf>,
        /// IR version to check for: 1.2, 1.2.1 (default) or 1.3.
        #[arg(long, value_name = "VERSION", default_value = "1.2.1")]
        ir_version: String,
    },
    /// Record that a report was submitted to the competent authority.
    Submit {
        /// Incident id.
        id: String,
        /// Which report.
        #[arg(long, value_enum)]
        stage: StageArg,
        /// When (RFC 3339; default now).
        #[arg(long)]
        at: Option<String>,
        /// The authority's reference code (field 3.1).
        #[arg(long)]
        authority_reference: Option<String>,
    },
    /// Record that the authority was told a deadline cannot be met (RTS 2025/301 Art. 5(3)).
    Notice {
        /// Incident id.
        id: String,
        /// Which report.
        #[arg(long, value_enum)]
        stage: StageArg,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Record that regular activities recovered (field 3.3).
    Mitigate {
        /// Incident id.
        id: String,
        /// When (default now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Resolve the incident (field 4.8).
    Resolve {
        /// Incident id.
        id: String,
        /// When (default now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Record the root cause as addressed (fields 4.5, 4.7).
    RootCause {
        /// Incident id.
        id: String,
        /// The root cause.
        #[arg(long)]
        cause: String,
        /// When (default now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Link deployments named explicitly (commit prefix of 7+ hex digits, or entry number).
    Link {
        /// Incident id.
        id: String,
        /// Commit or entry; repeatable.
        #[arg(long = "caused-by", required = true)]
        caused_by: Vec<String>,
    },
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct MetricsArgs {
    #[command(subcommand)]
    pub sub: Option<MetricsCmd>,
    /// Only these systems (repeatable); all systems when left out.
    #[arg(long, value_name = "SYSTEM")]
    pub system: Vec<String>,
    /// Only the systems of this team: the application components of --model whose
    /// `plumb:owner` names it (repeatable).
    #[arg(long, value_name = "OWNER", requires = "model")]
    pub team: Vec<String>,
    /// The architecture model, for --team.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Compute from an evidence pack instead of the store: the pack is verified first, with
    /// --trusted-key, exactly as verify-pack does (an auditor reproducing the numbers offline).
    #[arg(long, value_name = "FILE", requires = "trusted_key")]
    pub pack: Option<PathBuf>,
    /// The log's public key (and any other trusted signer), for --pack.
    #[arg(long = "trusted-key", value_name = "FILE")]
    pub trusted_key: Vec<PathBuf>,
    /// The period: a quarter (2026-Q3), a month (2026-11), a year (2026) or dates
    /// (2026-09-01..2026-11-30, both included) [default: the 90 days up to now]
    #[arg(long, value_name = "PERIOD")]
    pub period: Option<String>,
    /// Also cut the period into a trend: day, week or month.
    #[arg(long, value_name = "UNIT")]
    pub granularity: Option<String>,
    /// List the deployments behind the numbers: entry, system, time, why it failed, lead and
    /// recovery times.
    #[arg(long)]
    pub explain: bool,
    /// Print CSV (one row per bucket of the trend, or one for the period) instead of text.
    #[arg(long, conflicts_with = "explain")]
    pub csv: bool,
}

#[derive(Debug, Subcommand)]
pub enum MetricsCmd {
    /// The before-and-after report for the board: two periods side by side.
    ///
    /// For a baseline and a later period: the delivery measures, gate decisions by outcome,
    /// critical and high vulnerabilities present when changes reached production (from each
    /// deployment's gate decision), incidents by classification with their time to restore,
    /// and the time an evidence pack of each period takes to produce (measured while the report
    /// is made). One self-contained HTML page (inline SVG, no script; prints to PDF from a
    /// browser) and, with --markdown, the same table in Markdown.
    ///
    /// Example: plumb metrics report --baseline 2026-Q2 --period 2026-Q3 --out report.html --markdown report.md
    Report {
        /// The period before (a quarter, month, year or dates, as for plumb metrics).
        #[arg(long, value_name = "PERIOD")]
        baseline: String,
        /// The period since.
        #[arg(long, value_name = "PERIOD")]
        period: String,
        /// Only these systems (repeatable); all systems when left out.
        #[arg(long, value_name = "SYSTEM")]
        system: Vec<String>,
        /// Where to write the HTML page.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Where to write the Markdown version (`-` for standard output).
        #[arg(long, value_name = "FILE")]
        markdown: Option<PathBuf>,
    },
    /// Record past deployments as a baseline from before Plumbline.
    ///
    /// Reads a CSV with the header time,system,commit,status,environment (one past deployment
    /// per line; status succeeded, failed or rolled_back) and records each as a deployment
    /// record marked as imported, with its time as `deployed_at`. With --git, each production
    /// deployment lists the commits it shipped (those after the previous successful production
    /// deployment of the same system) with their commit times, so lead time can be measured.
    /// All rows are recorded as one batch, or none.
    ///
    /// Example: plumb metrics import --deployments deployments-2026-q2.csv --git ../payments
    Import {
        /// The CSV of past deployments.
        #[arg(long, value_name = "FILE")]
        deployments: PathBuf,
        /// The git repository the commits are in.
        #[arg(long, value_name = "DIR")]
        git: Option<PathBuf>,
    },
}

/// `plumb watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The watch configuration (see docs/resilience.md and examples/watch/). With --server
    /// the server's own configuration judges; this file then gives only the rollback command.
    #[arg(long, value_name = "FILE", env = "PLUMB_WATCH_CONFIG")]
    pub config: Option<PathBuf>,
    /// Instead of watching, record an Argo Rollouts AnalysisRun (kubectl get analysisrun NAME
    /// -o yaml) as the verification of the deployment: its phase is the verdict.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["config", "no_rollback"])]
    pub analysis_run: Option<PathBuf>,
    /// The environment, with --analysis-run.
    #[arg(long, default_value = "production", requires = "analysis_run")]
    pub environment: String,
    /// The system to watch (a key of the configuration's `systems`).
    #[arg(long, value_name = "SYSTEM")]
    pub system: String,
    /// The deployment record to verify (ledger entry); default the latest deployment of the
    /// system to the watched environment.
    #[arg(long, value_name = "ENTRY")]
    pub deployment: Option<u64>,
    /// Incident configuration, to open the incident of a failed watch (needed unless the
    /// system's watch says `incident: false`).
    #[arg(long, value_name = "FILE", env = "PLUMB_INCIDENT_CONFIG")]
    pub incidents: Option<PathBuf>,
    /// Judge and record, but do not run the rollback command.
    #[arg(long)]
    pub no_rollback: bool,
}

/// `plumb witness`.
#[derive(Debug, Subcommand)]
pub enum WitnessCmd {
    /// Make a witness key: the private key goes to --out (mode 0600, never overwritten), the
    /// public key (a cosigner verifier key, type 0x04) is printed for the logs' clients.
    Keygen {
        /// The witness's name, a schema-less URL such as witness.bank.example/w1.
        #[arg(long)]
        name: String,
        /// Where to write the private key.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Serve POST /add-checkpoint for the logs given.
    Serve {
        /// The witness's private key (from `plumb witness keygen`).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// A log to follow: its verifier key (as `plumb key show` prints it), or a file holding
        /// it; repeatable.
        #[arg(long = "log", value_name = "KEY_OR_FILE", required = true)]
        logs: Vec<String>,
        /// Where the witness remembers the latest checkpoint it cosigned of each log (it must
        /// exist unless --init; one witness process at a time may use it).
        #[arg(long, value_name = "FILE")]
        state: PathBuf,
        /// Start a new memory at --state (a new witness); without it a missing file is an
        /// error, so a mistyped path never makes a witness trust whatever it sees first.
        #[arg(long)]
        init: bool,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8710")]
        listen: std::net::SocketAddr,
    },
}

/// `plumb register`.
#[derive(Debug, Subcommand)]
pub enum RegisterCmd {
    /// Build the report package (xBRL-CSV zip) from a register file and the model, then check
    /// it. Writes <LEI>.<CON|IND>_<CC>_DORA010100_DORA_<date>_<created>.zip into --out. Same
    /// inputs (and --created), same bytes. Exit 1 when the package would be rejected.
    #[command(verbatim_doc_comment)]
    Build {
        /// The register file (YAML, see examples/register/register.yaml), or a folder of the
        /// templates' CSV files with parameters.csv (as a spreadsheet exports them).
        file: PathBuf,
        /// The architecture model: providers, contracts, ICT services, functions.
        #[arg(long, value_name = "FILE")]
        model: Option<PathBuf>,
        /// The authority's country in the package name (needed for a CSV folder; overrides
        /// the register file's).
        #[arg(long, value_name = "CC")]
        country: Option<String>,
        /// Directory to write the zip into.
        #[arg(long, value_name = "DIR", default_value = ".")]
        out: PathBuf,
        /// The creation time in the package name and the zip (RFC 3339); default now.
        #[arg(long, value_name = "TIME")]
        created: Option<String>,
        /// Record the package's digest and the check result in the ledger.
        #[arg(long)]
        record: bool,
        /// Also write the findings as SARIF 2.1.0.
        #[arg(long, value_name = "FILE")]
        sarif_out: Option<PathBuf>,
    },
    /// Check a package (zip or directory) or a register file as the EBA does: the package's
    /// structure, the blocking technical checks (805 empty key, 806 duplicate key, 807
    /// unresolved reference, 808 filing indicators, 503 codes), the EBA's DPM validation rules
    /// (warnings), LEI check digits, and Plumbline's cross-checks with --model (advice).
    /// Exit 1 when something blocks the submission.
    #[command(verbatim_doc_comment)]
    Check {
        /// A package zip, an unzipped package, a folder of the tables' CSVs, or a register file.
        input: PathBuf,
        /// The architecture model, for the cross-checks (and to build a register file).
        #[arg(long, value_name = "FILE")]
        model: Option<PathBuf>,
        /// Also cross-check against the store's evidence (with --model): vendor SDKs in
        /// recorded SBOMs and providers of deployed systems that the register lacks.
        #[arg(long, requires = "model")]
        evidence: bool,
        /// Also write the findings as SARIF 2.1.0.
        #[arg(long, value_name = "FILE")]
        sarif_out: Option<PathBuf>,
    },
    /// Read an existing package (zip, directory or CSV folder) into a register file whose
    /// `tables:` hold its rows, so a bank starts from what it submitted.
    Import {
        /// The package.
        package: PathBuf,
        /// The register file to write (refused if it exists).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The country in package names (the authority's), when the package name lacks it.
        #[arg(long, value_name = "CC")]
        country: Option<String>,
    },
    /// What changed between two registers (packages or register files): rows added, removed
    /// and changed per template, contracts and providers first. Markdown, or JSON.
    Diff {
        /// The earlier register.
        a: PathBuf,
        /// The later register.
        b: PathBuf,
        /// The architecture model, when either is a register file.
        #[arg(long, value_name = "FILE")]
        model: Option<PathBuf>,
    },
    /// The templates in filing order, or one template's columns.
    Templates {
        /// A template code, e.g. B_02.01.
        code: Option<String>,
    },
    /// The closed lists, or the EBA codes (with labels) of one.
    Codes {
        /// A closed list, e.g. ICT_SERVICE_TYPE.
        list: Option<String>,
    },
}

/// `plumb resilience`.
#[derive(Debug, Subcommand)]
pub enum ResilienceCmd {
    /// Record a resilience test: a Chaos Toolkit journal, a LitmusChaos ChaosResult (or a
    /// ChaosEngine with its status), or a drill record (YAML, see examples/resilience/).
    /// The functions it exercised come from --model through the systems it names.
    Record {
        /// The result file.
        file: PathBuf,
        /// A system (pipeline service name) it exercised; repeatable, added to the file's.
        #[arg(long = "system", value_name = "SYSTEM")]
        systems: Vec<String>,
        /// The architecture model, to name the functions depending on those systems.
        #[arg(long, value_name = "FILE")]
        model: Option<PathBuf>,
        /// The measured recovery time in minutes, when the file does not carry one.
        #[arg(long, value_name = "MINUTES")]
        recovery_minutes: Option<f64>,
        /// Who ran it.
        #[arg(long, value_name = "WHO")]
        run_by: Option<String>,
        /// When it ended (RFC 3339), when the file does not say (a LitmusChaos result carries
        /// only its start).
        #[arg(long, value_name = "TIME")]
        ended_at: Option<String>,
    },
    /// Every critical or important function of the model against the recorded tests: a passed
    /// test within --max-age-days whose measured recovery is within the function's RTO. Exit 1
    /// when a function has none.
    Status {
        /// The architecture model.
        #[arg(long, value_name = "FILE")]
        model: PathBuf,
        /// How old the last passed test may be (DORA Art. 24(6): at least yearly), 1 to 3660.
        #[arg(long, default_value_t = 365, value_name = "DAYS", value_parser = clap::value_parser!(i64).range(1..=3660))]
        max_age_days: i64,
    },
}
