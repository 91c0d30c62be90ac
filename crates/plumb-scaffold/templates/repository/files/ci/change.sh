#!/usr/bin/env bash
# Describes the change for the DORA gate: reports/change.json (author, commit, pull or merge
# request, environment, runbook, rollback plan, changed paths) and reports/approvals.json (who
# approved this commit, with their roles). Reads GitHub Actions or GitLab CI variables; the
# approvals come from the platform's API (GITHUB_TOKEN, or GITLAB_TOKEN with read_api).
# Security reviewers are listed one per line in ci/security-reviewers.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p reports

environment="${DEPLOY_ENVIRONMENT:-production}"
if [ -n "${GITHUB_SHA:-}" ]; then
  commit="${GITHUB_SHA}"
  author="${PR_AUTHOR:-${GITHUB_ACTOR:-}}"
  request="${PR_URL:-}"
  base="${GITHUB_BASE_REF:+origin/$GITHUB_BASE_REF}"
elif [ -n "${CI_COMMIT_SHA:-}" ]; then
  commit="${CI_COMMIT_SHA}"
  author="${CI_COMMIT_AUTHOR:-${GITLAB_USER_LOGIN:-}}"
  author="${GITLAB_USER_LOGIN:-$author}"
  request="${CI_MERGE_REQUEST_PROJECT_URL:+$CI_MERGE_REQUEST_PROJECT_URL/-/merge_requests/$CI_MERGE_REQUEST_IID}"
  base="${CI_MERGE_REQUEST_DIFF_BASE_SHA:-}"
else
  commit="${COMMIT:-$(git rev-parse HEAD 2>/dev/null || true)}"
  author="${AUTHOR:-$(git log -1 --format=%ae 2>/dev/null || true)}"
  request="${REQUEST_URL:-}"
  base="${BASE:-}"
fi
if [ -z "$commit" ]; then
  echo "change.sh: cannot tell the commit (not a CI run and not a git checkout); set COMMIT" >&2
  exit 2
fi

changed="[]"
if [ -n "$base" ] && git rev-parse -q --verify "$base" >/dev/null 2>&1; then
  changed="$(git diff --name-only "$base"...HEAD | jq -R . | jq -s .)"
fi

jq -n --arg author "$author" --arg commit "$commit" --arg pr "$request" --arg env "$environment" \
      --arg change_id "${CHANGE_ID:-}" --argjson changed "$changed" \
      '{author: $author, commit: $commit, environment: $env, changed_paths: $changed}
       + (if $pr != "" then {pull_request: $pr} else {} end)
       + (if $change_id != "" then {change_id: $change_id} else {} end)' > reports/change.json

# Approvals: a reviewer listed in ci/security-reviewers.txt approves as security-reviewer too.
roles() {
  if grep -qxF "$1" ci/security-reviewers.txt 2>/dev/null; then echo '["reviewer","security-reviewer"]'; else echo '["reviewer"]'; fi
}
approvals="[]"
if [ -n "${APPROVALS_FILE:-}" ]; then
  approvals="$(cat "$APPROVALS_FILE")"
elif [ -n "${GITHUB_TOKEN:-}" ] && [ -n "${PR_NUMBER:-}" ]; then
  reviews="$(curl -fsSL -H "Authorization: Bearer $GITHUB_TOKEN" -H "Accept: application/vnd.github+json" \
    "${GITHUB_API_URL:-https://api.github.com}/repos/$GITHUB_REPOSITORY/pulls/$PR_NUMBER/reviews?per_page=100")"
  approvals="$(echo "$reviews" | jq '[.[] | select(.state == "APPROVED") | {by: .user.login, at: .submitted_at, commit: .commit_id}]')"
elif [ -n "${GITLAB_TOKEN:-}" ] && [ -n "${CI_MERGE_REQUEST_IID:-}" ]; then
  state="$(curl -fsSL -H "PRIVATE-TOKEN: $GITLAB_TOKEN" \
    "$CI_API_V4_URL/projects/$CI_PROJECT_ID/merge_requests/$CI_MERGE_REQUEST_IID/approvals")"
  approvals="$(echo "$state" | jq --arg c "$commit" --arg at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    '[.approved_by[] | {by: .user.username, at: $at, commit: $c}]')"
fi
echo "$approvals" | jq -c '.[]' | while read -r a; do
  by="$(echo "$a" | jq -r .by)"
  echo "$a" | jq --argjson roles "$(roles "$by")" '. + {roles: $roles}'
done | jq -s . > reports/approvals.json
echo "change.sh: commit $commit by ${author:-unknown}, $(jq length reports/approvals.json) approval(s)" >&2
