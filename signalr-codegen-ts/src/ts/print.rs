//! The one printer of the tree: two-space indentation, `;` after every statement and member,
//! a blank line between declarations, doc comments as TSDoc blocks.

use super::decl::{
    Alias, AliasBody, ArrowBody, Class, ClassMember, Decl, Expr, Function, Import, Interface,
    Layout, Member, Module, Stmt, Variant,
};
use super::ty::{Field, Name, Param, Type};
use crate::BANNER;
use crate::docs::tsdoc;
use crate::names::{property_key, string_literal};

/// One level of indentation.
const INDENT: &str = "  ";

/// The text of a file: [`BANNER`], the imports, then the declarations.
pub(crate) fn print(module: &Module) -> String {
    let mut out = format!("{BANNER}\n/* eslint-disable */\n\n");
    for import in &module.imports {
        out.push_str(&self::import(import));
    }
    if !module.imports.is_empty() {
        out.push('\n');
    }
    let mut previous: Option<&Decl> = None;
    for decl in &module.decls {
        let reexports = matches!(
            (previous, decl),
            (Some(Decl::ExportAll(_)), Decl::ExportAll(_))
        );
        if previous.is_some() && !reexports {
            out.push('\n');
        }
        self::decl(&mut out, decl);
        previous = Some(decl);
    }
    out
}

fn import(import: &Import) -> String {
    match import {
        Import::Namespace { name, from } => {
            format!("import type * as {name} from {};\n", string_literal(from))
        }
        Import::Names { names, from } => format!(
            "import type {{ {} }} from {};\n",
            names.join(", "),
            string_literal(from)
        ),
    }
}

fn decl(out: &mut String, decl: &Decl) {
    match decl {
        Decl::Interface(interface) => self::interface(out, interface),
        Decl::Alias(alias) => self::alias(out, alias),
        Decl::Class(class) => self::class(out, class),
        Decl::Function(function) => self::function(out, function),
        Decl::ExportAll(from) => {
            out.push_str(&format!("export * from {};\n", string_literal(from)));
        }
        Decl::ExportNothing => out.push_str("export {};\n"),
    }
}

fn interface(
    out: &mut String,
    Interface {
        docs,
        name,
        members,
    }: &Interface,
) {
    out.push_str(&tsdoc(docs, ""));
    out.push_str(&format!("export interface {name} {{\n"));
    for member in members {
        match member {
            Member::Property { docs, field } => {
                out.push_str(&tsdoc(docs, INDENT));
                out.push_str(&format!("{INDENT}{};\n", self::field(field)));
            }
            Member::Index(ty) => out.push_str(&format!("{INDENT}{};\n", index(ty))),
            Member::Method {
                docs,
                name,
                params,
                returns,
            } => {
                out.push_str(&tsdoc(docs, INDENT));
                out.push_str(&format!(
                    "{INDENT}{}({}): {};\n",
                    property_key(name),
                    self::params(params),
                    self::ty(returns)
                ));
            }
        }
    }
    out.push_str("}\n");
}

fn alias(out: &mut String, Alias { docs, name, body }: &Alias) {
    out.push_str(&tsdoc(docs, ""));
    match body {
        AliasBody::Type(ty) => out.push_str(&format!("export type {name} = {};\n", self::ty(ty))),
        AliasBody::Variants(variants) => {
            let mut lines: Vec<String> = variants
                .iter()
                .map(|Variant { docs, ty }| {
                    format!("{}{INDENT}| {}", tsdoc(docs, INDENT), self::ty(ty))
                })
                .collect();
            if lines.is_empty() {
                lines.push(format!("{INDENT}never"));
            }
            out.push_str(&format!("export type {name} =\n{};\n", lines.join("\n")));
        }
    }
}

fn class(
    out: &mut String,
    Class {
        docs,
        name,
        members,
    }: &Class,
) {
    out.push_str(&tsdoc(docs, ""));
    out.push_str(&format!("export class {name} {{\n"));
    let mut previous: Option<&ClassMember> = None;
    for member in members {
        let fields = matches!(
            (previous, member),
            (Some(ClassMember::Field { .. }), ClassMember::Field { .. })
        );
        if previous.is_some() && !fields {
            out.push('\n');
        }
        match member {
            ClassMember::Field { docs, name, ty } => {
                out.push_str(&tsdoc(docs, INDENT));
                out.push_str(&format!(
                    "{INDENT}readonly {}: {};\n",
                    property_key(name),
                    self::ty(ty)
                ));
            }
            ClassMember::Constructor { docs, params, body } => {
                out.push_str(&tsdoc(docs, INDENT));
                out.push_str(&format!(
                    "{INDENT}constructor({}) {{\n",
                    self::params(params)
                ));
                block(out, body, 2);
                out.push_str(&format!("{INDENT}}}\n"));
            }
            ClassMember::Method {
                docs,
                name,
                params,
                returns,
                body,
            } => {
                out.push_str(&tsdoc(docs, INDENT));
                out.push_str(&format!(
                    "{INDENT}{}({}): {} {{\n",
                    property_key(name),
                    self::params(params),
                    self::ty(returns)
                ));
                block(out, body, 2);
                out.push_str(&format!("{INDENT}}}\n"));
            }
        }
        previous = Some(member);
    }
    out.push_str("}\n");
}

fn function(out: &mut String, function: &Function) {
    let Function {
        docs,
        name,
        params,
        returns,
        body,
    } = function;
    out.push_str(&tsdoc(docs, ""));
    out.push_str(&format!(
        "export function {name}({}): {} {{\n",
        self::params(params),
        self::ty(returns)
    ));
    block(out, body, 1);
    out.push_str("}\n");
}

/// Statements one a line, at `depth` levels of indentation.
fn block(out: &mut String, stmts: &[Stmt], depth: usize) {
    let indent = INDENT.repeat(depth);
    for stmt in stmts {
        out.push_str(&format!("{indent}{}\n", self::stmt(stmt, depth)));
    }
}

/// A statement without its indentation and line end; the lines of its block expressions are
/// indented for `depth`.
fn stmt(stmt: &Stmt, depth: usize) -> String {
    match stmt {
        Stmt::Expr(expr) => format!("{};", self::expr(expr, depth)),
        Stmt::Return(expr) => format!("return {};", self::expr(expr, depth)),
        Stmt::Const { name, ty, init } => format!(
            "const {name}: {} = {};",
            self::ty(ty),
            self::expr(init, depth)
        ),
        Stmt::ForOf {
            bindings,
            iterable,
            body,
        } => format!(
            "for (const [{}] of {}) {}",
            bindings.join(", "),
            self::expr(iterable, depth),
            self::stmt(body, depth)
        ),
    }
}

/// An expression; the inner lines of its block parts are indented one level deeper than
/// `depth`, and their closing brackets at `depth`.
fn expr(expr: &Expr, depth: usize) -> String {
    match expr {
        Expr::Ident(name) => name.clone(),
        Expr::This => "this".to_owned(),
        Expr::Str(text) => string_literal(text),
        Expr::Member(object, name) => format!("{}.{name}", self::expr(object, depth)),
        Expr::Call {
            callee,
            type_args,
            args,
        } => {
            let type_args = if type_args.is_empty() {
                String::new()
            } else {
                format!("<{}>", types(type_args))
            };
            let args: Vec<String> = args.iter().map(|arg| self::expr(arg, depth)).collect();
            format!(
                "{}{type_args}({})",
                self::expr(callee, depth),
                args.join(", ")
            )
        }
        Expr::Assign(target, value) => {
            format!(
                "{} = {}",
                self::expr(target, depth),
                self::expr(value, depth)
            )
        }
        Expr::Arrow {
            params,
            returns,
            body,
        } => {
            let returns = returns
                .as_ref()
                .map(|ty| format!(": {}", self::ty(ty)))
                .unwrap_or_default();
            let body = match body {
                ArrowBody::Expr(expr) => self::expr(expr, depth),
                ArrowBody::Block(stmts) => {
                    let mut out = String::from("{\n");
                    block(&mut out, stmts, depth + 1);
                    out.push_str(&format!("{}}}", INDENT.repeat(depth)));
                    out
                }
            };
            format!("({}){returns} => {body}", self::params(params))
        }
        Expr::Array(items, Layout::Inline) => {
            let items: Vec<String> = items.iter().map(|item| self::expr(item, depth)).collect();
            format!("[{}]", items.join(", "))
        }
        Expr::Array(items, Layout::Lines) => {
            let lines = items.iter().map(|item| self::expr(item, depth + 1));
            lines_between("[", lines, "]", depth)
        }
        Expr::Object(entries) => {
            let lines = entries.iter().map(|(key, value)| {
                format!("{}: {}", property_key(key), self::expr(value, depth + 1))
            });
            lines_between("{", lines, "}", depth)
        }
    }
}

/// `open`, then each of `lines` on its own line one level deeper than `depth` and followed by
/// a comma, then `close` at `depth`.
fn lines_between(
    open: &str,
    lines: impl Iterator<Item = String>,
    close: &str,
    depth: usize,
) -> String {
    let inner = INDENT.repeat(depth + 1);
    let mut out = format!("{open}\n");
    for line in lines {
        out.push_str(&format!("{inner}{line},\n"));
    }
    out.push_str(&format!("{}{close}", INDENT.repeat(depth)));
    out
}

/// `a: A, ...b: B[]`.
fn params(params: &[Param]) -> String {
    let params: Vec<String> = params
        .iter()
        .map(|Param { name, ty, rest }| {
            let rest = if *rest { "..." } else { "" };
            format!("{rest}{name}: {}", self::ty(ty))
        })
        .collect();
    params.join(", ")
}

/// `key?: T`.
fn field(Field { key, optional, ty }: &Field) -> String {
    let optional = if *optional { "?" } else { "" };
    format!("{}{optional}: {}", property_key(key), self::ty(ty))
}

/// `[key: string]: T`.
fn index(ty: &Type) -> String {
    format!("[key: string]: {}", self::ty(ty))
}

/// Types separated by `, `.
fn types(types: &[Type]) -> String {
    let types: Vec<String> = types.iter().map(self::ty).collect();
    types.join(", ")
}

/// A type expression.
pub(crate) fn ty(ty: &Type) -> String {
    match ty {
        Type::Keyword(keyword) => keyword.as_str().to_owned(),
        Type::Ref(name, args) => {
            let name = match name {
                Name::Local(name) => name.clone(),
                Name::Global(name) => (*name).to_owned(),
                Name::SignalR(name) => format!("signalR.{name}"),
            };
            if args.is_empty() {
                name
            } else {
                format!("{name}<{}>", types(args))
            }
        }
        Type::Literal(value) => value.to_string(),
        Type::Array(item) if item.is_compound() || matches!(**item, Type::Function(..)) => {
            format!("Array<{}>", self::ty(item))
        }
        Type::Array(item) => format!("{}[]", self::ty(item)),
        Type::Tuple(members) => format!("[{}]", types(members)),
        Type::Union(members) => {
            let members: Vec<String> = members
                .iter()
                .map(|member| match member {
                    Type::Function(..) => format!("({})", self::ty(member)),
                    _ => self::ty(member),
                })
                .collect();
            members.join(" | ")
        }
        Type::Intersection(members) => {
            let members: Vec<String> = members
                .iter()
                .map(|member| {
                    if member.is_compound() || matches!(member, Type::Function(..)) {
                        format!("({})", self::ty(member))
                    } else {
                        self::ty(member)
                    }
                })
                .collect();
            members.join(" & ")
        }
        Type::Object { fields, index } => {
            let mut parts: Vec<String> = fields.iter().map(field).collect();
            if let Some(ty) = index {
                parts.push(self::index(ty));
            }
            if parts.is_empty() {
                return "{}".to_owned();
            }
            format!("{{ {} }}", parts.join("; "))
        }
        Type::Function(params, returns) => {
            format!("({}) => {}", self::params(params), self::ty(returns))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ts::Keyword;

    #[test]
    fn operators_are_parenthesized_where_they_would_bind_looser() {
        let either = || Type::union(vec![Type::local("User"), Type::keyword(Keyword::Null)]);
        assert_eq!(ty(&Type::array(either())), "Array<User | null>");
        assert_eq!(ty(&Type::array(Type::local("User"))), "User[]");
        let tagged = Type::intersection(vec![Type::local("Point"), either()]);
        assert_eq!(ty(&tagged), "Point & (User | null)");
        // A union's members are not parenthesized, not even intersections.
        let union = Type::union(vec![tagged, either()]);
        assert_eq!(ty(&union), "Point & (User | null) | User | null");
        assert_eq!(ty(&Type::intersection(vec![either()])), "(User | null)");
    }

    #[test]
    fn blocks_nest_by_two_spaces() {
        let call = |name: &str| {
            Expr::ident("connection").member(name).call(
                vec![Type::keyword(Keyword::String)],
                vec![Expr::Str("a\"b".to_owned())],
            )
        };
        let function = Function {
            docs: "Two\nlines.".to_owned(),
            name: "f".to_owned(),
            params: vec![Param::new(
                "connection",
                Type::signalr("HubConnection", Vec::new()),
            )],
            returns: Type::Function(Vec::new(), Box::new(Type::keyword(Keyword::Void))),
            body: vec![
                Stmt::Const {
                    name: "all".to_owned(),
                    ty: Type::array(Type::keyword(Keyword::Number)),
                    init: Expr::Array(vec![Expr::ident("x")], Layout::Lines),
                },
                Stmt::Return(Expr::Arrow {
                    params: Vec::new(),
                    returns: None,
                    body: ArrowBody::Block(vec![Stmt::Expr(Expr::Object(vec![(
                        "e-mail".to_owned(),
                        call("on"),
                    )]))]),
                }),
            ],
        };
        let module = Module::new(vec![Decl::Function(function)], "./types.js");
        let text = print(&module);
        let expected = "import type * as signalR from \"@microsoft/signalr\";\n\n\
            /**\n * Two\n * lines.\n */\n\
            export function f(connection: signalR.HubConnection): () => void {\n\
            \x20 const all: number[] = [\n\
            \x20   x,\n\
            \x20 ];\n\
            \x20 return () => {\n\
            \x20   {\n\
            \x20     \"e-mail\": connection.on<string>(\"a\\\"b\"),\n\
            \x20   };\n\
            \x20 };\n\
            }\n";
        assert_eq!(
            text.split_once("\n\n").map(|(_, rest)| rest),
            Some(expected)
        );
    }
}
