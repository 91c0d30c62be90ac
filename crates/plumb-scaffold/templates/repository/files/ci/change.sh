#!/usr/bin/env bash
# Describes the change for the DORA gate:
#   reports/change.json     commit, author, pull or merge request, environment, changed paths
#   reports/approvals.json  who approved exactly this commit, with their roles
#
# GitHub Actions: on a pull request the commit is the pull request's head (what reviewers saw,
# PR_HEAD_SHA), the approvals are each reviewer's latest review if it approves that head
# (GITHUB_TOKEN, PR_NUMBER). On a push to the default branch the approvals are those of the
# merged pull request, and count only if the pushed commit has exactly the tree that was
# approved (require branches to be up to date before merging).
# GitLab CI: merge request pipelines take the approvals of the merge request if its head is
# this commit (GITLAB_TOKEN with read_api); default-branch pipelines those of the merged merge
# request, under the same tree rule.
# Elsewhere: COMMIT, AUTHOR, BASE and APPROVALS_FILE (a JSON list of {by, roles, at, commit}).
# Approvers listed in ci/security-reviewers.txt count as security reviewers.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p reports

if ! git rev-parse --git-dir >/dev/null 2>&1; then
  echo "change.sh: $(pwd) is not a git checkout; the gate needs the commit and its changed paths" >&2
  exit 2
fi

zero="0000000000000000000000000000000000000000"
exists() { [ -n "$1" ] && [ "$1" != "$zero" ] && git rev-parse -q --verify "$1^{commit}" >/dev/null 2>&1; }
gh_api() {
  curl -fsSL -H "Authorization: Bearer $GITHUB_TOKEN" -H "Accept: application/vnd.github+json" \
    "${GITHUB_API_URL:-https://api.github.com}/repos/$GITHUB_REPOSITORY/$1"
}
gl_api() { curl -fsSL -H "PRIVATE-TOKEN: $GITLAB_TOKEN" "$CI_API_V4_URL/projects/$CI_PROJECT_ID/$1"; }

# Every review of a pull request, all pages (or REVIEWS_FILE).
gh_reviews() {
  if [ -n "${REVIEWS_FILE:-}" ]; then cat "$REVIEWS_FILE"; return; fi
  local page=1 all="[]" chunk
  while :; do
    chunk="$(gh_api "pulls/$1/reviews?per_page=100&page=$page")"
    [ "$(jq length <<<"$chunk")" -eq 0 ] && break
    all="$(jq -s 'add' <(echo "$all") <(echo "$chunk"))"
    page=$((page + 1))
  done
  echo "$all"
}

# Reviews -> approvals of commit $2: each reviewer's latest approving, rejecting or dismissed
# review decides, and counts only if it approves exactly that commit.
gh_approvals() {
  jq --arg head "$2" '[group_by(.user.login)[]
      | map(select(.state == "APPROVED" or .state == "CHANGES_REQUESTED" or .state == "DISMISSED"))
      | select(length > 0) | max_by(.submitted_at)
      | select(.state == "APPROVED" and .commit_id == $head)
      | {by: .user.login, at: .submitted_at, commit: .commit_id}]' <<<"$1"
}

# A merge request's approvers, if its head is commit $3 ($1: the merge request, $2: approvals).
gl_approvals() {
  jq -n --argjson mr "$1" --argjson ap "$2" --arg c "$3" \
    'if $mr.sha == $c then [$ap.approved_by[] | {by: .user.username, at: $mr.updated_at, commit: $c}] else [] end'
}

# Approvals of $2 carried to the pushed commit $1 if it has exactly the approved tree.
carry() {
  local commit="$1" head="$2" approvals="$3"
  if exists "$head" && [ "$(git rev-parse "$commit^{tree}")" = "$(git rev-parse "$head^{tree}")" ]; then
    jq --arg c "$commit" '[.[] | .commit = $c]' <<<"$approvals"
  else
    echo "change.sh: the pushed tree differs from the approved one ($head): no approvals carried" >&2
    echo "[]"
  fi
}

environment="${DEPLOY_ENVIRONMENT:-production}"
request="" base="" author="" approvals="[]"
if [ -n "${GITHUB_SHA:-}" ]; then
  commit="${PR_HEAD_SHA:-$GITHUB_SHA}"
  if [ -n "${PR_NUMBER:-}" ]; then
    author="${PR_AUTHOR:-}"
    request="${PR_URL:-}"
    base="origin/${GITHUB_BASE_REF:-main}"
    if [ -n "${GITHUB_TOKEN:-}${REVIEWS_FILE:-}" ]; then
      approvals="$(gh_approvals "$(gh_reviews "$PR_NUMBER")" "$commit")"
    fi
  else
    base="${GITHUB_EVENT_BEFORE:-}"
    if [ -n "${GITHUB_TOKEN:-}" ]; then
      pr="$(gh_api "commits/$commit/pulls" | jq -c '[.[] | select(.merged_at != null)][0] // empty')"
      if [ -n "$pr" ]; then
        number="$(jq -r .number <<<"$pr")"
        head="$(jq -r .head.sha <<<"$pr")"
        author="$(jq -r .user.login <<<"$pr")"
        request="$(jq -r .html_url <<<"$pr")"
        git fetch -q origin "pull/$number/head" 2>/dev/null || true
        approvals="$(carry "$commit" "$head" "$(gh_approvals "$(gh_reviews "$number")" "$head")")"
      fi
    fi
  fi
elif [ -n "${CI_COMMIT_SHA:-}" ]; then
  commit="$CI_COMMIT_SHA"
  if [ -n "${CI_MERGE_REQUEST_IID:-}" ]; then
    base="${CI_MERGE_REQUEST_DIFF_BASE_SHA:-}"
    request="${CI_MERGE_REQUEST_PROJECT_URL:-}/-/merge_requests/$CI_MERGE_REQUEST_IID"
    if [ -n "${GITLAB_TOKEN:-}" ]; then
      mr="$(gl_api "merge_requests/$CI_MERGE_REQUEST_IID")"
      author="$(jq -r .author.username <<<"$mr")"
      approvals="$(gl_approvals "$mr" "$(gl_api "merge_requests/$CI_MERGE_REQUEST_IID/approvals")" "$commit")"
    fi
  else
    base="${CI_COMMIT_BEFORE_SHA:-}"
    if [ -n "${GITLAB_TOKEN:-}" ]; then
      mr="$(gl_api "repository/commits/$commit/merge_requests" | jq -c '[.[] | select(.state == "merged")][0] // empty')"
      if [ -n "$mr" ]; then
        author="$(jq -r .author.username <<<"$mr")"
        request="$(jq -r .web_url <<<"$mr")"
        head="$(jq -r .sha <<<"$mr")"
        iid="$(jq -r .iid <<<"$mr")"
        git fetch -q origin "refs/merge-requests/$iid/head" 2>/dev/null || true
        approvals="$(carry "$commit" "$head" "$(gl_approvals "$mr" "$(gl_api "merge_requests/$iid/approvals")" "$head")")"
      fi
    fi
  fi
  author="${author:-${CI_COMMIT_AUTHOR:-}}"
else
  commit="${COMMIT:-$(git rev-parse HEAD)}"
  base="${BASE:-}"
fi
commit="$(git rev-parse "$commit^{commit}" 2>/dev/null || echo "$commit")"
author="${author:-${AUTHOR:-$(git log -1 --format=%ae "$commit" 2>/dev/null || true)}}"
if [ -n "${APPROVALS_FILE:-}" ]; then approvals="$(cat "$APPROVALS_FILE")"; fi

# The changed paths: against the merge base with the target branch, or the previous commit;
# for a first commit, every file.
if ! exists "$base"; then
  base="$(git rev-parse -q --verify "$commit^" 2>/dev/null || true)"
fi
if exists "$base"; then
  from="$(git merge-base "$base" "$commit" 2>/dev/null || echo "$base")"
  changed="$(git diff --name-only "$from" "$commit" | jq -R . | jq -s .)"
else
  changed="$(git ls-tree -r --name-only "$commit" | jq -R . | jq -s .)"
fi

jq -n --arg author "$author" --arg commit "$commit" --arg pr "$request" --arg env "$environment" \
      --arg change_id "${CHANGE_ID:-}" --argjson changed "$changed" \
      '{author: $author, commit: $commit, environment: $env, changed_paths: $changed}
       + (if $pr != "" then {pull_request: $pr} else {} end)
       + (if $change_id != "" then {change_id: $change_id} else {} end)' > reports/change.json

security="$({ grep -v '^#' ci/security-reviewers.txt 2>/dev/null || true; } | sed '/^[[:space:]]*$/d' | jq -R . | jq -s .)"
jq --argjson sec "$security" \
  '[.[] | .roles = (((.roles // []) + ["reviewer"] + (if (.by | IN($sec[])) then ["security-reviewer"] else [] end)) | unique)]' \
  <<<"$approvals" > reports/approvals.json
echo "change.sh: commit $commit by ${author:-unknown}, $(jq length <<<"$changed") changed path(s), $(jq length reports/approvals.json) approval(s)" >&2
