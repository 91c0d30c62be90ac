# Plumbline DORA baseline policy.
#
# Input: the normalised facts (`plumb gate schema`) plus `now`, `now_unix`, `system`,
# `criticality` and `environment`. Waivers are applied before evaluation: a waived finding has
# `waived_by` set. Configuration (thresholds, disabled rules) is in data.plumb.config.
#
# Absent values are left out of the input (never null), so `not x` means "x is missing".
#
# Every deny and warn is an object: id, msg, refs (legal references), fix (what to do).
package plumb.baseline

import rego.v1

config := data.plumb.config

enabled(id) if not id in config.disabled

# Findings the tool itself has not suppressed and no waiver covers.
active(f) if {
	not f.suppressed
	not f.waived_by
}

blocking_kinds := {"sast", "dependency", "misconfiguration"}

# --- Tests (DORA Art. 9(4)(e); RTS 2024/1774 Art. 16) ---------------------------------------

deny contains v if {
	enabled("DORA-TEST-001")
	not input.tests
	v := {"id": "DORA-TEST-001", "msg": "no test report was given: the change is not shown to be tested", "refs": ["DORA Art. 9(4)(e)", "RTS 2024/1774 Art. 16"], "fix": "pass the JUnit XML of the test run with --tests"}
}

deny contains v if {
	enabled("DORA-TEST-001")
	input.tests.total == 0
	v := {"id": "DORA-TEST-001", "msg": "the test report contains no test cases", "refs": ["DORA Art. 9(4)(e)", "RTS 2024/1774 Art. 16"], "fix": "make sure the test step ran and wrote its results"}
}

deny contains v if {
	enabled("DORA-TEST-002")
	bad := input.tests.failed + input.tests.errors
	bad > 0
	names := [sprintf("%s %s", [c.classname, c.name]) | some c in input.tests.cases; c.outcome in {"failed", "error"}]
	v := {"id": "DORA-TEST-002", "msg": sprintf("%d of %d tests failed: %s", [bad, input.tests.total, concat(", ", array.slice(names, 0, 5))]), "refs": ["DORA Art. 9(4)(e)", "RTS 2024/1774 Art. 16"], "fix": "fix the failing tests; all tests must pass before release"}
}

warn contains v if {
	input.tests.flaky > 0
	v := {"id": "DORA-TEST-003", "msg": sprintf("%d tests passed only after retries (flaky)", [input.tests.flaky]), "refs": ["RTS 2024/1774 Art. 16"], "fix": "investigate the flaky tests"}
}

# --- Vulnerabilities and static analysis (RTS 2024/1774 Arts. 10 and 16) --------------------

deny contains v if {
	enabled("DORA-VULN-001")
	some f in input.findings
	f.severity in {"critical", "high"}
	f.kind in blocking_kinds
	active(f)
	what := concat(" ", [x | some k in ["vulnerability", "rule", "package", "version"]; x := f[k]])
	v := object.union({"id": "DORA-VULN-001", "msg": sprintf("%s %s finding from %s: %s (%s)%s", [f.severity, f.kind, f.tool, what, f.title, location(f)]), "refs": ["RTS 2024/1774 Art. 10", "RTS 2024/1774 Art. 16"], "fix": "fix or upgrade; if the risk is accepted, add a waiver with an owner, an approver and an expiry", "fingerprint": f.fingerprint}, place(f))
}

# Where a finding is, for CI annotations and SARIF (path and line when the input has them).
place(f) := {"path": f.path, "line": f.line} if {
	f.path
	f.line
} else := {"path": f.path} if {
	f.path
} else := {}

location(f) := sprintf(" at %s:%d", [f.path, f.line]) if {
	f.path
	f.line
} else := sprintf(" in %s", [f.path]) if {
	f.path
} else := ""

warn contains v if {
	some f in input.findings
	f.severity == "unknown"
	f.kind in blocking_kinds
	active(f)
	v := {"id": "DORA-VULN-003", "msg": sprintf("%s finding %s from %s has no usable severity (%s)", [f.kind, object.get(f, "vulnerability", object.get(f, "rule", "?")), f.tool, f.raw_severity]), "refs": ["RTS 2024/1774 Art. 10"], "fix": "triage it: its severity could not be determined"}
}

deny contains v if {
	enabled("DORA-SCAN-001")
	some s in input.scans
	not s.completed
	v := {"id": "DORA-SCAN-001", "msg": sprintf("%s did not complete successfully (%s): its empty result proves nothing", [s.tool, concat("; ", s.problems)]), "refs": ["RTS 2024/1774 Art. 10", "DORA Art. 25"], "fix": "fix the scanner configuration and rerun it"}
}

# --- Secrets (DORA Art. 9(4)(d)) --------------------------------------------------------------

deny contains v if {
	enabled("DORA-SECRET-001")
	some f in input.findings
	f.kind == "secret"
	active(f)
	v := object.union({"id": "DORA-SECRET-001", "msg": sprintf("secret found by %s (%s)%s", [f.tool, f.rule, location(f)]), "refs": ["DORA Art. 9(4)(d)"], "fix": "remove the secret, rotate it, and use a secret store", "fingerprint": f.fingerprint}, place(f))
}

# --- Coverage ---------------------------------------------------------------------------------

deny contains v if {
	enabled("DORA-COV-001")
	not input.coverage
	v := {"id": "DORA-COV-001", "msg": "no coverage report was given", "refs": ["RTS 2024/1774 Art. 16"], "fix": "pass LCOV or Cobertura output with --coverage"}
}

deny contains v if {
	enabled("DORA-COV-001")
	input.coverage.percent < config.coverage_threshold
	v := {"id": "DORA-COV-001", "msg": sprintf("line coverage %v%% is below the bank's threshold of %v%% (%d of %d lines; the threshold is house policy: RTS 2024/1774 Art. 16 requires testing, not a coverage figure)", [input.coverage.percent, config.coverage_threshold, input.coverage.lines_covered, input.coverage.lines_total]), "refs": ["RTS 2024/1774 Art. 16"], "fix": "add tests for the uncovered code, or set coverage_threshold in the gate configuration"}
}

# --- Segregation of duties (RTS 2024/1774 Art. 17; DORA Art. 9(4)(e)) --------------------------

authors contains a if {
	some k in ["author", "pull_request_author"]
	a := input.change[k]
}

valid_approvals contains a if {
	some a in input.approvals
	a.commit == input.change.commit
	not a.by in authors
}

code_owner_approval if {
	some a in valid_approvals
	some r in a.roles
	r in config.code_owner_roles
}

code_owner_approval if {
	some a in valid_approvals
	a.by in input.codeowners.owners
}

security_approval if {
	some a in valid_approvals
	some r in a.roles
	r in config.security_reviewer_roles
}

deny contains v if {
	enabled("DORA-CHG-002")
	not input.change.commit
	v := {"id": "DORA-CHG-002", "msg": "no change metadata (author and commit): approvals cannot be checked against the author", "refs": ["DORA Art. 9(4)(e)", "RTS 2024/1774 Art. 17"], "fix": "pass --change with author and commit"}
}

deny contains v if {
	enabled("DORA-SOD-001")
	input.change.commit
	not code_owner_approval
	v := {"id": "DORA-SOD-001", "msg": sprintf("no code-owner approval of commit %s by someone other than its author", [input.change.commit]), "refs": ["RTS 2024/1774 Art. 17", "DORA Art. 9(4)(e)"], "fix": "get an approval from a code owner who did not write the change"}
}

deny contains v if {
	enabled("DORA-SOD-002")
	input.change.commit
	not security_approval
	v := {"id": "DORA-SOD-002", "msg": sprintf("no security-reviewer approval of commit %s by someone other than its author", [input.change.commit]), "refs": ["RTS 2024/1774 Art. 17", "RTS 2024/1774 Art. 21"], "fix": "get an approval from a security reviewer who did not write the change"}
}

warn contains v if {
	some a in input.approvals
	a.by in authors
	v := {"id": "DORA-SOD-003", "msg": sprintf("approval by %s does not count: they are an author of the change", [a.by]), "refs": ["RTS 2024/1774 Art. 17"], "fix": "approvals must come from someone independent of the change"}
}

warn contains v if {
	some a in input.approvals
	a.commit != input.change.commit
	v := {"id": "DORA-SOD-004", "msg": sprintf("approval by %s is for commit %s, not %s: it does not count", [a.by, a.commit, input.change.commit]), "refs": ["RTS 2024/1774 Art. 17"], "fix": "re-approve the commit being released"}
}

# --- Production changes: fall-back procedures (RTS 2024/1774 Art. 17) --------------------------

production if input.environment == "production"

deny contains v if {
	enabled("DORA-CHG-001")
	production
	some field in ["runbook", "rollback_plan"]
	not input.change[field]
	v := {"id": "DORA-CHG-001", "msg": sprintf("production deployment without a %s", [replace(field, "_", " ")]), "refs": ["RTS 2024/1774 Art. 17"], "fix": sprintf("link the %s in the change metadata", [replace(field, "_", " ")])}
}

# --- Third-party components and scan freshness (RTS 2024/1774 Art. 10) -------------------------

critical_system if input.criticality in {"critical", "important"}

deny contains v if {
	enabled("DORA-SBOM-001")
	config.require_sbom
	count(input.sboms) == 0
	v := {"id": "DORA-SBOM-001", "msg": "no SBOM for the deployable artifact: third-party components are not tracked", "refs": ["RTS 2024/1774 Art. 10", "DORA Art. 8"], "fix": "generate a CycloneDX or SPDX SBOM (e.g. cyclonedx-py, syft, trivy) and pass it with --sbom"}
}

vuln_scans := [s | some s in input.scans; s.kind == "dependency"]

deny contains v if {
	enabled("DORA-SCAN-002")
	critical_system
	count(vuln_scans) == 0
	v := {"id": "DORA-SCAN-002", "msg": sprintf("no vulnerability scan for %s, which supports %s functions", [input.system, input.criticality]), "refs": ["RTS 2024/1774 Art. 10"], "fix": "run a dependency/image scanner (trivy, grype, osv-scanner) and pass it with --vulns"}
}

deny contains v if {
	enabled("DORA-SCAN-002")
	critical_system
	count(vuln_scans) > 0
	dated := [t | some s in vuln_scans; t := s.scanned_at_unix]
	count(dated) == 0
	v := {"id": "DORA-SCAN-002", "msg": "the vulnerability scan does not say when it ran, so its age cannot be checked", "refs": ["RTS 2024/1774 Art. 10"], "fix": "use a scanner output that records its time (Trivy CreatedAt, Grype descriptor.timestamp, CycloneDX metadata.timestamp)"}
}

# The law asks for weekly scans of what supports critical or important functions: a configured
# age above 7 days is allowed, but every decision says it is looser than the law.
warn contains v if {
	enabled("DORA-SCAN-002")
	critical_system
	config.max_scan_age_days > 7
	v := {"id": "DORA-SCAN-002", "msg": sprintf("max_scan_age_days is %d, more than the weekly scans RTS 2024/1774 Art. 10 asks for systems supporting critical or important functions", [config.max_scan_age_days]), "refs": ["RTS 2024/1774 Art. 10"], "fix": "set max_scan_age_days to 7 or less in the gate configuration"}
}

deny contains v if {
	enabled("DORA-SCAN-002")
	critical_system
	dated := [t | some s in vuln_scans; t := s.scanned_at_unix]
	count(dated) > 0
	age_days := (input.now_unix - max(dated)) / 86400
	age_days > config.max_scan_age_days
	v := {"id": "DORA-SCAN-002", "msg": sprintf("the latest vulnerability scan is %.1f days old; at most %d days allowed for a %s system", [age_days, config.max_scan_age_days, input.criticality]), "refs": ["RTS 2024/1774 Art. 10"], "fix": "rescan; scans of systems supporting critical or important functions must be at least weekly"}
}

# --- Infrastructure: data stores (RTS 2024/1774 Arts. 6, 13; DORA Arts. 8, 12) ---------------
# From --infra: Terraform plans and Kubernetes manifests read into `input.infra`. A value the
# input does not settle is absent: rules deny on what the plan says and warn on what it does
# not. A deletion is judged for its approvals, not for the configuration it removes.

infra := object.get(input, "infra", {})

resources := object.get(infra, "resources", [])

workloads := object.get(infra, "workloads", [])

critical if input.criticality in {"critical", "important"}

# A resource or workload tagged with a system the model knows is judged by that system's
# facts (config.systems, from the architecture model); otherwise by the gated system's.
criticality_of(x) := config.systems[x.system].criticality

criticality_of(x) := input.criticality if not config.systems[x.system]

critical_res(x) if criticality_of(x) in {"critical", "important"}

personal_res(x) if config.systems[x.system].personal_data

personal_res(x) if {
	not config.systems[x.system]
	config.personal_data
}

kept(r) if r.action != "delete"

stores contains r if {
	some r in resources
	r.data_store
	kept(r)
}

deny contains v if {
	enabled("DORA-INFRA-001")
	some r in stores
	r.encrypted_at_rest == false
	v := {"id": "DORA-INFRA-001", "msg": sprintf("%s (%s) is not encrypted at rest", [r.address, r.type]), "refs": ["RTS 2024/1774 Art. 6"], "fix": "enable encryption at rest (server-side encryption, storage_encrypted, encrypted volumes)", "fingerprint": r.address, "resource": r.address}
}

warn contains v if {
	enabled("DORA-INFRA-001")
	some r in stores
	not has(r, "encrypted_at_rest")
	v := {"id": "DORA-INFRA-001", "msg": sprintf("the input does not show whether %s (%s) is encrypted at rest", [r.address, r.type]), "refs": ["RTS 2024/1774 Art. 6"], "fix": "configure encryption at rest explicitly"}
}

has(obj, key) if obj[key] != null

deny contains v if {
	enabled("DORA-INFRA-002")
	some r in stores
	r.public == true
	v := {"id": "DORA-INFRA-002", "msg": sprintf("data store %s is reachable from the internet: %s", [r.address, concat("; ", r.public_reasons)]), "refs": ["RTS 2024/1774 Art. 13"], "fix": "make it private: private ACL, public access blocked, not publicly accessible", "fingerprint": r.address, "resource": r.address}
}

# Exposure of other resources is a design decision (a public load balancer is normal); all
# ports open to the internet is not.
deny contains v if {
	enabled("DORA-INFRA-002")
	some r in resources
	kept(r)
	not r.data_store
	some why in r.public_reasons
	contains(why, "all ports")
	v := {"id": "DORA-INFRA-002", "msg": sprintf("%s is open to the internet: %s", [r.address, why]), "refs": ["RTS 2024/1774 Art. 13"], "fix": "open only the ports the service needs, to the sources that need them", "fingerprint": r.address, "resource": r.address}
}

warn contains v if {
	some r in resources
	kept(r)
	not r.data_store
	r.public == true
	not all_ports(r)
	v := {"id": "DORA-INFRA-003", "msg": sprintf("%s is reachable from the internet: %s", [r.address, concat("; ", r.public_reasons)]), "refs": ["RTS 2024/1774 Art. 13"], "fix": "check that the exposure is intended (a public entry point behind a WAF, not an internal service)"}
}

all_ports(r) if {
	some why in r.public_reasons
	contains(why, "all ports")
}

# Types whose inputs say whether versioning or backups are on.
recoverable := {"aws_s3_bucket", "google_storage_bucket", "azurerm_storage_account", "aws_db_instance", "aws_rds_cluster", "aws_dynamodb_table", "aws_docdb_cluster"}

deny contains v if {
	enabled("DORA-INFRA-004")
	some r in stores
	critical_res(r)
	r.type in recoverable
	not r.versioning == true
	not r.backups == true
	v := {"id": "DORA-INFRA-004", "msg": sprintf("%s of a system supporting %s functions has neither versioning nor backups enabled (or the input does not show them)", [r.address, criticality_of(r)]), "refs": ["DORA Art. 12"], "fix": "enable versioning (buckets) or backups with a retention period (databases)", "fingerprint": r.address, "resource": r.address}
}

deny contains v if {
	enabled("DORA-INFRA-005")
	count(config.allowed_regions) > 0
	some r in stores
	personal_res(r)
	r.region
	not r.region in config.allowed_regions
	v := {"id": "DORA-INFRA-005", "msg": sprintf("%s would hold personal data in %s, outside the allowed regions %s (the regions are house policy)", [r.address, r.region, concat(", ", config.allowed_regions)]), "refs": ["DORA Art. 8"], "fix": "place it in an allowed region, or change allowed_regions after a data protection assessment", "fingerprint": r.address, "resource": r.address}
}

warn contains v if {
	enabled("DORA-INFRA-005")
	count(config.allowed_regions) > 0
	some r in stores
	personal_res(r)
	not r.region
	v := {"id": "DORA-INFRA-005", "msg": sprintf("the input does not say where %s is located, so its region cannot be checked against the allowed regions", [r.address]), "refs": ["DORA Art. 8"], "fix": "set the region on the provider or the resource"}
}

deny contains v if {
	enabled("DORA-INFRA-006")
	some r in stores
	r.format == "terraform-plan"
	not r.classification
	v := {"id": "DORA-INFRA-006", "msg": sprintf("data store %s has no data classification (tag plumb:data-classification)", [r.address]), "refs": ["DORA Art. 8", "RTS 2024/1774 Art. 6"], "fix": "tag it plumb:data-classification = public, internal, confidential or restricted", "fingerprint": r.address, "resource": r.address}
}

production_copy(r) if r.classification == "production"

production_copy(r) if r.source_environment == "production"

deny contains v if {
	enabled("DORA-INFRA-007")
	not production
	some r in stores
	production_copy(r)
	not r.masked == true
	v := {"id": "DORA-INFRA-007", "msg": sprintf("%s holds production data in the %s environment without being declared masked", [r.address, object.get(input, "environment", "non-production")]), "refs": ["RTS 2024/1774 Art. 16", "RTS 2024/1774 Art. 8"], "fix": "use anonymised or masked data (tag plumb:masked = true once it is), or get the exception approved", "fingerprint": r.address, "resource": r.address}
}

deny contains v if {
	enabled("DORA-INFRA-008")
	some r in resources
	r.data_store
	r.action in {"delete", "replace"}
	critical_res(r)
	missing := [x | some x in ["code owner", "security reviewer"]; not approved_as(x)]
	count(missing) > 0
	v := {"id": "DORA-INFRA-008", "msg": sprintf("%s of data store %s of a %s system lacks approval by a %s other than the author", [r.action, r.address, criticality_of(r), concat(" and a ", missing)]), "refs": ["RTS 2024/1774 Art. 17", "DORA Art. 12"], "fix": "get the same approvals as a code change before deleting or replacing it", "fingerprint": r.address, "resource": r.address}
}

# Outside production, every copy of another store's data (a snapshot, a replica, a restore)
# says where its data comes from, so the rule above can judge it.
deny contains v if {
	enabled("DORA-INFRA-007")
	not production
	some r in stores
	r.copy_of
	not r.source_environment
	v := {"id": "DORA-INFRA-007", "msg": sprintf("%s is created from %s in the %s environment without saying where that data comes from", [r.address, r.copy_of, object.get(input, "environment", "non-production")]), "refs": ["RTS 2024/1774 Art. 16", "RTS 2024/1774 Art. 8"], "fix": "tag it plumb:source-environment (and plumb:masked = true when the source is production and the data was masked)", "fingerprint": r.address, "resource": r.address}
}

approved_as("code owner") if code_owner_approval

approved_as("security reviewer") if security_approval

# --- Infrastructure: workloads (RTS 2024/1774 Arts. 9, 16, 21) ------------------------------

containers contains [w, c] if {
	some w in workloads
	some c in w.containers
}

deny contains v if {
	enabled("DORA-K8S-001")
	some [w, c] in containers
	c.privileged
	v := {"id": "DORA-K8S-001", "msg": sprintf("container %s of %s is privileged", [c.name, w.address]), "refs": ["RTS 2024/1774 Art. 21"], "fix": "remove securityContext.privileged; grant only the capabilities it needs", "fingerprint": w.address, "resource": w.address}
}

deny contains v if {
	enabled("DORA-K8S-001")
	some w in workloads
	host := [x | some x in ["host_network", "host_pid", "host_ipc"]; w[x]]
	paths := [sprintf("hostPath %s", [p]) | some p in w.host_paths]
	what := array.concat(host, paths)
	count(what) > 0
	v := {"id": "DORA-K8S-001", "msg": sprintf("%s reaches into the node: %s", [w.address, concat(", ", what)]), "refs": ["RTS 2024/1774 Art. 21"], "fix": "drop host namespaces and host paths; use volumes and services instead", "fingerprint": w.address, "resource": w.address}
}

deny contains v if {
	enabled("DORA-K8S-002")
	some [w, c] in containers
	c.runs_as_root == true
	v := {"id": "DORA-K8S-002", "msg": sprintf("container %s of %s runs as root (runAsUser 0)", [c.name, w.address]), "refs": ["RTS 2024/1774 Art. 21"], "fix": "run as a non-root user: runAsNonRoot: true and a non-zero runAsUser", "fingerprint": w.address, "resource": w.address}
}

warn contains v if {
	enabled("DORA-K8S-002")
	some [w, c] in containers
	not has(c, "runs_as_root")
	v := {"id": "DORA-K8S-002", "msg": sprintf("container %s of %s may run as root: neither runAsNonRoot nor runAsUser is set", [c.name, w.address]), "refs": ["RTS 2024/1774 Art. 21"], "fix": "set runAsNonRoot: true"}
}

deny contains v if {
	enabled("DORA-K8S-003")
	some [w, c] in containers
	critical_res(w)
	not c.digest
	v := {"id": "DORA-K8S-003", "msg": sprintf("container %s of %s uses image %s by tag, not by digest (house policy for systems supporting %s functions)", [c.name, w.address, c.image, criticality_of(w)]), "refs": ["RTS 2024/1774 Art. 16"], "fix": "pin the image by digest (image@sha256:...), as the pipeline built and scanned it", "fingerprint": w.address, "resource": w.address}
}

warn contains v if {
	enabled("DORA-K8S-003")
	some [w, c] in containers
	not critical_res(w)
	c.tag == "latest"
	v := {"id": "DORA-K8S-003", "msg": sprintf("container %s of %s uses the latest tag: what runs is not what was tested", [c.name, w.address]), "refs": ["RTS 2024/1774 Art. 16"], "fix": "use a fixed tag or, better, a digest"}
}

deny contains v if {
	enabled("DORA-K8S-004")
	some [w, c] in containers
	not c.limits
	v := {"id": "DORA-K8S-004", "msg": sprintf("container %s of %s has no CPU and memory limits (house policy)", [c.name, w.address]), "refs": ["RTS 2024/1774 Art. 9"], "fix": "set resources.limits.cpu and resources.limits.memory", "fingerprint": w.address, "resource": w.address}
}

# --- Resilience testing (DORA Arts. 11, 24), only when the configuration requires it ----------

deny contains v if {
	enabled("DORA-RES-003")
	config.require_resilience_test
	critical_system
	config.resilience == null
	v := {"id": "DORA-RES-003", "msg": sprintf("the configuration requires a resilience test of what %s supports, but the gate was given no resilience evidence", [input.system]), "refs": ["DORA Art. 24"], "fix": "run plumb gate with --model over the store that holds the resilience tests (a server fills it from its own store and latest recorded model)"}
}

# The configuration says the system is critical, but the model given names no function it
# supports: nothing can be checked, which is not a pass.
deny contains v if {
	enabled("DORA-RES-003")
	config.require_resilience_test
	critical_system
	is_array(config.resilience)
	count(config.resilience) == 0
	v := {"id": "DORA-RES-003", "msg": sprintf("%s is configured as supporting %s functions, but the architecture model the gate was given names none of them, so no resilience test can be checked", [input.system, input.criticality]), "refs": ["DORA Art. 24"], "fix": "give the gate the bank's architecture model (plumb gate --model; on a server, record the reference model with plumb model check --record), or correct the configured criticality"}
}

deny contains v if {
	enabled("DORA-RES-003")
	config.require_resilience_test
	critical_system
	is_array(config.resilience)
	some f in config.resilience
	f.state != "ok"
	v := {"id": "DORA-RES-003", "msg": sprintf("%s: %s (%s)", [f.name, f.explanation, f.state]), "refs": ["DORA Art. 24", "DORA Art. 11"], "fix": "run a failover drill or chaos experiment of the function's systems within the period and record it (plumb resilience record); recovery must stay within the RTO", "fingerprint": f.name}
}
