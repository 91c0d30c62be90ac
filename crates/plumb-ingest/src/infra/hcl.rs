//! Terraform and OpenTofu configuration (`.tf` files, HCL), judged before any plan exists:
//! what `terraform plan` would create, read from the configuration itself. The configuration
//! is turned into the shape of a plan (every resource created, its attributes as far as they
//! are literals, variable defaults, locals or `merge` of those, the references of every
//! expression) and read by the plan reader, so both inputs give the same facts for the same
//! resources and the same rules judge them.
//!
//! What a configuration leaves open stays unknown, never guessed: an attribute computed from a
//! variable without a default, another resource's attribute or a function other than `merge`
//! is left out, as an attribute absent from a plan is. `count` and `for_each` give one
//! resource standing for all its instances (none when `count` is a literal 0); modules that a
//! configuration calls are not followed (give their directories as inputs of their own);
//! `dynamic` blocks are not expanded.

use std::collections::BTreeMap;

use hcl::eval::{Context, Evaluate, FuncArgs, FuncDef, ParamType};
use hcl::expr::{Expression, TraversalOperator};
use hcl::structure::{Block, Body};
use hcl::template::{Element, Template};
use serde_json::{Map, Value, json};

use super::Infra;
use crate::error::{IngestError, Result};

/// The format name the resources of a configuration carry (`terraform-plan` for plans).
pub const FORMAT: &str = "terraform-config";

/// Deepest bracket nesting accepted, checked before parsing: the parser and the evaluator
/// recurse, and no real configuration nests anywhere near this.
const MAX_DEPTH: usize = 64;

/// Top-level blocks of a Terraform configuration.
const TOP_BLOCKS: &[&str] = &[
    "terraform",
    "provider",
    "resource",
    "data",
    "variable",
    "locals",
    "module",
    "output",
    "moved",
    "import",
    "check",
    "removed",
];

/// Locals evaluated (more are left unknown), rounds of evaluating them, and the largest value
/// (as JSON) an expression may produce: a configuration that doubles a string from local to
/// local cannot make the reader's memory or time grow without bound.
const MAX_LOCALS: usize = 256;
const MAX_ROUNDS: usize = 16;
const MAX_VALUE: usize = 16 * 1024;

/// Attributes of a resource block that are Terraform's own, not the resource's.
const META_ATTRIBUTES: &[&str] = &["count", "for_each", "provider", "depends_on"];

/// Whether `text` looks like a Terraform configuration: its first line that is neither blank
/// nor a comment opens one of Terraform's top-level blocks.
pub fn looks_like(text: &str) -> bool {
    let mut in_comment = false;
    for line in text.lines() {
        let l = line.trim();
        if in_comment {
            in_comment = !l.contains("*/");
            continue;
        }
        if l.is_empty() || l.starts_with('#') || l.starts_with("//") {
            continue;
        }
        if l.starts_with("/*") {
            in_comment = !l.contains("*/");
            continue;
        }
        let word: String = l
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let rest = l[word.len()..].trim_start();
        return TOP_BLOCKS.contains(&word.as_str())
            && (rest.starts_with('"') || rest.starts_with('{'));
    }
    false
}

/// The files of one configuration directory (name, text) as one input, after checking that
/// each parses on its own (so an error names its file and line, not a line of the whole).
pub fn bundle(files: &[(String, String)]) -> Result<String> {
    let mut out = String::new();
    for (name, text) in files {
        parse(name, text)?;
        // The name goes into a comment: nothing of it may end the comment.
        let shown: String = name
            .chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .collect();
        out.push_str(&format!("# plumb: {shown}\n"));
        out.push_str(text);
        if !text.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}

/// The configuration as a JSON document, the way policy tools read HCL (blocks as nested
/// objects keyed by their labels), for raw policies (`package plumb.raw`); `None` when it does
/// not parse.
pub fn raw_document(text: &str) -> Option<Value> {
    check_depth("", text).ok()?;
    hcl::from_str::<Value>(text).ok()
}

/// Reads a configuration into `infra`.
pub fn read(file: &str, text: &str, infra: &mut Infra) -> Result<()> {
    let plan = to_plan(file, text)?;
    let mut read = Infra::default();
    super::terraform::read(file, &plan, &mut read)?;
    for r in &mut read.resources {
        r.format = FORMAT.into();
    }
    infra.resources.extend(read.resources);
    Ok(())
}

fn check_depth(file: &str, text: &str) -> Result<()> {
    let (mut depth, mut line) = (0usize, 1u64);
    for c in text.chars() {
        match c {
            '{' | '[' | '(' => depth += 1,
            '}' | ']' | ')' => depth = depth.saturating_sub(1),
            '\n' => line += 1,
            _ => {}
        }
        if depth > MAX_DEPTH {
            return Err(IngestError::at(
                file,
                line,
                format!("nested more than {MAX_DEPTH} levels deep"),
            ));
        }
    }
    Ok(())
}

fn parse(file: &str, text: &str) -> Result<Body> {
    check_depth(file, text)?;
    hcl::parse(text).map_err(|e| match &e {
        hcl::Error::Parse(p) => IngestError::at(
            file,
            p.location().line() as u64,
            format!(
                "not a valid Terraform configuration (HCL) at column {}: {}",
                p.location().column(),
                p.message()
            ),
        ),
        _ => IngestError::new(file, format!("not a valid Terraform configuration: {e}")),
    })
}

fn blocks<'a>(body: &'a Body, ident: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
    body.blocks().filter(move |b| b.identifier() == ident)
}

fn labels(b: &Block) -> Vec<&str> {
    b.labels().iter().map(|l| l.as_str()).collect()
}

fn to_json(v: hcl::Value) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Whether `e` may be evaluated: no division or remainder (the evaluator panics on a zero
/// divisor), nothing nested beyond `MAX_DEPTH`. Otherwise its value stays unknown.
fn evaluable(e: &Expression, depth: usize) -> bool {
    use hcl::expr::{BinaryOperator, Operation};
    if depth > MAX_DEPTH {
        return false;
    }
    let d = depth + 1;
    match e {
        Expression::Operation(op) => match op.as_ref() {
            Operation::Unary(u) => evaluable(&u.expr, d),
            Operation::Binary(b) => {
                !matches!(b.operator, BinaryOperator::Div | BinaryOperator::Mod)
                    && evaluable(&b.lhs_expr, d)
                    && evaluable(&b.rhs_expr, d)
            }
        },
        Expression::Array(items) => items.iter().all(|i| evaluable(i, d)),
        Expression::Object(m) => m.values().all(|v| evaluable(v, d)),
        Expression::FuncCall(f) => f.args.iter().all(|a| evaluable(a, d)),
        Expression::Parenthesis(p) => evaluable(p, d),
        Expression::Conditional(c) => {
            evaluable(&c.cond_expr, d) && evaluable(&c.true_expr, d) && evaluable(&c.false_expr, d)
        }
        Expression::Traversal(t) => {
            evaluable(&t.expr, d)
                && t.operators.iter().all(|op| match op {
                    TraversalOperator::Index(i) => evaluable(i, d),
                    _ => true,
                })
        }
        Expression::ForExpr(_) => false,
        Expression::TemplateExpr(t) => Template::from_expr(t).is_ok_and(|tpl| {
            tpl.elements().iter().all(|el| match el {
                Element::Interpolation(i) => evaluable(&i.expr, d),
                Element::Directive(_) => false,
                Element::Literal(_) => true,
            })
        }),
        _ => true,
    }
}

/// The value of `e`, when it can be known here and is of a sensible size.
fn value_of(e: &Expression, ctx: &Context<'_>) -> Option<hcl::Value> {
    if !evaluable(e, 0) {
        return None;
    }
    let v = e.evaluate(ctx).ok()?;
    let size = serde_json::to_vec(&v).map_or(usize::MAX, |b| b.len());
    (size <= MAX_VALUE).then_some(v)
}

/// `merge(a, b, ...)`: the one function configurations use everywhere for tags.
fn merge(args: FuncArgs) -> std::result::Result<hcl::Value, String> {
    let mut out = hcl::Map::new();
    for a in args.iter() {
        match a {
            hcl::Value::Object(m) => out.extend(m.clone()),
            hcl::Value::Null => {}
            _ => return Err("merge takes objects".into()),
        }
    }
    Ok(hcl::Value::Object(out))
}

/// The evaluation context: variable defaults, the locals that resolve, and `merge`.
fn context(body: &Body) -> Context<'static> {
    let mut ctx = Context::new();
    ctx.declare_func(
        "merge",
        FuncDef::builder()
            .variadic_param(ParamType::nullable(ParamType::object_of(ParamType::Any)))
            .build(merge),
    );
    let empty = Context::new();
    let mut vars = hcl::Map::new();
    for v in blocks(body, "variable") {
        if let [name] = labels(v).as_slice()
            && let Some(default) = v.body().attributes().find(|a| a.key() == "default")
            && let Some(value) = value_of(default.expr(), &empty)
        {
            vars.insert(name.to_string(), value);
        }
    }
    ctx.declare_var("var", hcl::Value::Object(vars));
    // Locals may refer to each other in any order: evaluate until nothing more resolves.
    let pending: Vec<_> = blocks(body, "locals")
        .flat_map(|b| b.body().attributes())
        .take(MAX_LOCALS)
        .collect();
    let mut locals = hcl::Map::new();
    for _ in 0..MAX_ROUNDS {
        ctx.declare_var("local", hcl::Value::Object(locals.clone()));
        let before = locals.len();
        for a in &pending {
            if !locals.contains_key(a.key())
                && let Some(v) = value_of(a.expr(), &ctx)
            {
                locals.insert(a.key().to_string(), v);
            }
        }
        if locals.len() == before {
            break;
        }
    }
    ctx.declare_var("local", hcl::Value::Object(locals));
    ctx
}

/// The references of an expression, as a plan lists them (`aws_s3_bucket.b.id` and
/// `aws_s3_bucket.b`).
fn references(e: &Expression, out: &mut Vec<String>) {
    match e {
        Expression::Traversal(t) => {
            let mut path = Vec::new();
            if let Expression::Variable(v) = &t.expr {
                path.push(v.as_str().to_string());
                for op in &t.operators {
                    match op {
                        TraversalOperator::GetAttr(a) if path.len() < 3 => {
                            path.push(a.as_str().to_string())
                        }
                        _ => break,
                    }
                }
                for n in (2..=path.len()).rev() {
                    out.push(path[..n].join("."));
                }
            } else {
                references(&t.expr, out);
            }
            for op in &t.operators {
                if let TraversalOperator::Index(i) = op {
                    references(i, out);
                }
            }
        }
        Expression::Variable(v) => out.push(v.as_str().to_string()),
        Expression::Array(items) => items.iter().for_each(|i| references(i, out)),
        Expression::Object(m) => m.values().for_each(|v| references(v, out)),
        Expression::FuncCall(f) => f.args.iter().for_each(|a| references(a, out)),
        Expression::Parenthesis(p) => references(p, out),
        Expression::Conditional(c) => {
            references(&c.cond_expr, out);
            references(&c.true_expr, out);
            references(&c.false_expr, out);
        }
        Expression::Operation(op) => match op.as_ref() {
            hcl::expr::Operation::Unary(u) => references(&u.expr, out),
            hcl::expr::Operation::Binary(b) => {
                references(&b.lhs_expr, out);
                references(&b.rhs_expr, out);
            }
        },
        Expression::ForExpr(f) => {
            references(&f.collection_expr, out);
        }
        Expression::TemplateExpr(t) => {
            if let Ok(tpl) = Template::from_expr(t) {
                for el in tpl.elements() {
                    if let Element::Interpolation(i) = el {
                        references(&i.expr, out);
                    }
                }
            }
        }
        _ => {}
    }
}

/// A block's body as planned values: attributes that evaluate, nested blocks as arrays of
/// objects (as a plan shows them). `dynamic` blocks and Terraform's own blocks are left out.
fn values(body: &Body, ctx: &Context<'_>, refs: &mut Map<String, Value>, top: bool) -> Value {
    let mut out = Map::new();
    for a in body.attributes() {
        if top && META_ATTRIBUTES.contains(&a.key()) {
            continue;
        }
        let mut r = Vec::new();
        references(a.expr(), &mut r);
        if top && !r.is_empty() {
            refs.insert(a.key().to_string(), json!({ "references": r }));
        }
        if let Some(v) = value_of(a.expr(), ctx) {
            out.insert(a.key().to_string(), to_json(v));
        }
    }
    for b in body.blocks() {
        let id = b.identifier();
        if matches!(id, "dynamic" | "lifecycle" | "provisioner" | "connection") {
            continue;
        }
        let nested = values(b.body(), ctx, refs, false);
        if let Value::Array(list) = out
            .entry(id.to_string())
            .or_insert_with(|| Value::Array(vec![]))
        {
            list.push(nested);
        }
    }
    Value::Object(out)
}

/// The region of each provider configuration (`aws`, or `aws.dr` for an alias).
fn provider_regions(body: &Body, ctx: &Context<'_>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for p in blocks(body, "provider") {
        let names = labels(p);
        let [name] = names.as_slice() else {
            continue;
        };
        let attr = |k: &str| {
            p.body()
                .attributes()
                .find(|a| a.key() == k)
                .and_then(|a| value_of(a.expr(), ctx))
        };
        let key = match attr("alias") {
            Some(hcl::Value::String(alias)) => format!("{name}.{alias}"),
            _ => name.to_string(),
        };
        if let Some(hcl::Value::String(r)) = attr("region").or_else(|| attr("location")) {
            out.insert(key, r);
        }
    }
    out
}

/// The provider configuration a resource uses: its `provider` meta-argument (`aws.dr`),
/// else the one named by its type's prefix (`aws` for `aws_db_instance`).
fn provider_of(block: &Block, ty: &str) -> String {
    let explicit = block
        .body()
        .attributes()
        .find(|a| a.key() == "provider")
        .and_then(|a| {
            let mut r = Vec::new();
            references(a.expr(), &mut r);
            r.into_iter().next()
        });
    explicit.unwrap_or_else(|| ty.split('_').next().unwrap_or(ty).to_string())
}

/// Whether a `count` says the resource is not created at all: only a literal 0 does (a count
/// from a variable may be set otherwise where it is applied).
fn counted_out(block: &Block) -> bool {
    block
        .body()
        .attributes()
        .find(|a| a.key() == "count")
        .is_some_and(|a| matches!(a.expr(), Expression::Number(n) if n.as_f64() == Some(0.0)))
}

/// The configuration in the shape of a plan that creates everything it declares.
pub fn to_plan(file: &str, text: &str) -> Result<Value> {
    let body = parse(file, text)?;
    let ctx = context(&body);
    let regions = provider_regions(&body, &ctx);
    let (mut changes, mut config) = (Vec::new(), Vec::new());
    for r in blocks(&body, "resource") {
        let names = labels(r);
        let [ty, name] = names.as_slice() else {
            return Err(IngestError::new(
                file,
                "a resource block needs a type and a name: resource \"TYPE\" \"NAME\" { ... }",
            ));
        };
        if counted_out(r) {
            continue;
        }
        let address = format!("{ty}.{name}");
        let provider = provider_of(r, ty);
        let mut refs = Map::new();
        let mut after = values(r.body(), &ctx, &mut refs, true);
        if let (Value::Object(a), Some(region)) = (&mut after, regions.get(&provider))
            && !a.contains_key("region")
            && !a.contains_key("location")
        {
            a.insert("region".into(), json!(region));
        }
        changes.push(json!({
            "address": address,
            "mode": "managed",
            "type": ty,
            "name": name,
            "provider_name": provider.split('.').next().unwrap_or(&provider),
            "change": { "actions": ["create"], "after": after },
        }));
        config.push(json!({ "address": address, "expressions": refs }));
    }
    Ok(json!({
        "format_version": "1.2",
        "resource_changes": changes,
        "configuration": { "root_module": { "resources": config } },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_configurations_by_their_first_block() {
        assert!(looks_like("# infra\n\nterraform {\n}\n"));
        assert!(looks_like(
            "/* a\n b */\nresource \"aws_s3_bucket\" \"b\" {}\n"
        ));
        assert!(!looks_like("apiVersion: v1\nkind: Pod\n"));
        assert!(!looks_like("{\"format_version\": \"1.2\"}"));
        assert!(!looks_like("resources: []\n"));
    }

    #[test]
    fn references_are_listed_as_a_plan_lists_them() {
        let e: Expression = "aws_s3_bucket.b.id".parse().unwrap();
        let mut r = Vec::new();
        references(&e, &mut r);
        assert_eq!(r, ["aws_s3_bucket.b.id", "aws_s3_bucket.b"]);
        let e: Expression = "\"${var.env}-${local.x}\"".parse().unwrap();
        let mut r = Vec::new();
        references(&e, &mut r);
        assert_eq!(r, ["var.env", "local.x"]);
    }
}
