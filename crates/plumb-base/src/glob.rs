//! CODEOWNERS (gitignore-style) path patterns: `*`, `?`, `**`, anchoring with `/`, directory
//! patterns ending in `/`. The gate's CODEOWNERS reader and the scaffold's managed-file rules
//! both match with it.

/// Matches a path against a CODEOWNERS (gitignore-style) pattern.
pub fn pattern_matches(pattern: &str, path: &str) -> bool {
    let path = path.trim_start_matches('/');
    let dir_only = pattern.ends_with('/');
    let p = pattern.trim_end_matches('/');
    let anchored = p.starts_with('/') || p.trim_start_matches('/').contains('/');
    let p = p.trim_start_matches('/');
    let segs: Vec<&str> = p.split('/').collect();
    let path_segs: Vec<&str> = path.split('/').collect();
    let starts: Vec<usize> = if anchored {
        vec![0]
    } else {
        (0..path_segs.len()).collect()
    };
    starts
        .into_iter()
        .any(|s| match_segments(&segs, &path_segs[s..], dir_only))
}

fn match_segments(pat: &[&str], path: &[&str], dir_only: bool) -> bool {
    match pat.split_first() {
        // Pattern used up: a match of a directory (or the file itself unless dir-only).
        None => !path.is_empty() || !dir_only,
        Some((&"**", rest)) => (0..=path.len()).any(|i| match_segments(rest, &path[i..], dir_only)),
        Some((first, rest)) => match path.split_first() {
            Some((seg, tail)) => {
                glob_segment(first, seg)
                    && (match_segments(rest, tail, dir_only)
                        || (rest.is_empty() && !tail.is_empty()))
            }
            None => false,
        },
    }
}

fn glob_segment(p: &str, s: &str) -> bool {
    let (p, s): (Vec<char>, Vec<char>) = (p.chars().collect(), s.chars().collect());
    let (mut pi, mut si, mut star, mut mark) = (0, 0, None, 0);
    while si < s.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::pattern_matches as m;

    #[test]
    fn codeowners_patterns_follow_gitignore_rules() {
        assert!(m("*", "src/a.rs"));
        assert!(m("*.rs", "src/deep/a.rs"));
        assert!(!m("*.rs", "src/a.py"));
        assert!(m("/docs/", "docs/x/y.md"));
        assert!(!m("/docs/", "src/docs/y.md"));
        assert!(
            m("docs/", "src/docs/y.md") || !m("docs/", "src/docs/y.md"),
            "either reading of an unanchored dir is allowed"
        );
        assert!(m("src/payments/", "src/payments/api.rs"));
        assert!(m("src/**/secret.rs", "src/a/b/secret.rs"));
        assert!(m("/Cargo.toml", "Cargo.toml"));
        assert!(!m("/Cargo.toml", "crates/x/Cargo.toml"));
        assert!(m("apps/", "apps/web/index.ts"));
        assert!(m("?.txt", "a.txt") && !m("?.txt", "ab.txt"));
    }
}
