//! Modules, their declarations, and the statements and expressions of the few function bodies
//! the generator writes.

use std::collections::BTreeSet;

use super::ty::{Field, Name, Param, Type};

/// One generated file: its imports, then its declarations.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Module {
    /// The imports, in order.
    pub(crate) imports: Vec<Import>,
    /// The declarations, in order.
    pub(crate) decls: Vec<Decl>,
}

/// An `import type` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Import {
    /// `import type * as {name} from "{from}";`.
    Namespace {
        /// The namespace's local name.
        name: String,
        /// The module specifier.
        from: String,
    },
    /// `import type { A, B } from "{from}";`.
    Names {
        /// The imported names, in order.
        names: Vec<String>,
        /// The module specifier.
        from: String,
    },
}

/// One top-level item of a module; all but [`Decl::ExportAll`] are separated by a blank line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Decl {
    /// `export interface`.
    Interface(Interface),
    /// `export type`.
    Alias(Alias),
    /// `export class`.
    Class(Class),
    /// `export function`.
    Function(Function),
    /// `export * from "{0}";`.
    ExportAll(String),
    /// `export {};`: a module that exports nothing is still a module.
    ExportNothing,
}

/// `export interface {name} { … }`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Interface {
    /// Its doc comment, as the Rust docs read (empty for none).
    pub(crate) docs: String,
    /// Its name.
    pub(crate) name: String,
    /// Its members, one a line.
    pub(crate) members: Vec<Member>,
}

/// One member of an interface.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Member {
    /// `key?: T;`, with its doc comment.
    Property {
        /// Its doc comment (empty for none).
        docs: String,
        /// The property.
        field: Field,
    },
    /// `[key: string]: T;`.
    Index(Type),
    /// `name(params): R;`, with its doc comment.
    Method {
        /// Its doc comment (empty for none).
        docs: String,
        /// Its name.
        name: String,
        /// Its parameters.
        params: Vec<Param>,
        /// Its return type.
        returns: Type,
    },
}

/// `export type {name} = …;`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Alias {
    /// Its doc comment (empty for none).
    pub(crate) docs: String,
    /// Its name.
    pub(crate) name: String,
    /// What it stands for.
    pub(crate) body: AliasBody,
}

/// What a type alias stands for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AliasBody {
    /// One type, on the alias's line.
    Type(Type),
    /// A union written one member a line (`  | A`), each with its doc comment, as a Rust enum
    /// reads; `never` when there is none. Members are kept as given, repeats included.
    Variants(Vec<Variant>),
}

/// One member of [`AliasBody::Variants`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Variant {
    /// Its doc comment (empty for none).
    pub(crate) docs: String,
    /// Its type.
    pub(crate) ty: Type,
}

/// `export class {name} { … }`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Class {
    /// Its doc comment (empty for none).
    pub(crate) docs: String,
    /// Its name.
    pub(crate) name: String,
    /// Its members, in order; consecutive fields are not separated by a blank line, any other
    /// members are.
    pub(crate) members: Vec<ClassMember>,
}

/// One member of a class, each with its doc comment (empty for none).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ClassMember {
    /// `readonly name: T;`.
    Field {
        /// Its doc comment.
        docs: String,
        /// Its name.
        name: String,
        /// Its type.
        ty: Type,
    },
    /// `constructor(params) { body }`.
    Constructor {
        /// Its doc comment.
        docs: String,
        /// Its parameters.
        params: Vec<Param>,
        /// Its statements.
        body: Vec<Stmt>,
    },
    /// `name(params): R { body }`.
    Method {
        /// Its doc comment.
        docs: String,
        /// Its name.
        name: String,
        /// Its parameters.
        params: Vec<Param>,
        /// Its return type.
        returns: Type,
        /// Its statements.
        body: Vec<Stmt>,
    },
}

/// `export function {name}(params): R { body }`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Function {
    /// Its doc comment (empty for none).
    pub(crate) docs: String,
    /// Its name.
    pub(crate) name: String,
    /// Its parameters.
    pub(crate) params: Vec<Param>,
    /// Its return type.
    pub(crate) returns: Type,
    /// Its statements.
    pub(crate) body: Vec<Stmt>,
}

/// A statement, on its own line (or lines, for the block expressions within).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stmt {
    /// `expr;`.
    Expr(Expr),
    /// `return expr;`.
    Return(Expr),
    /// `const name: T = init;`.
    Const {
        /// The constant's name.
        name: String,
        /// Its declared type.
        ty: Type,
        /// Its value.
        init: Expr,
    },
    /// `for (const [a, b] of iterable) body` on one line.
    ForOf {
        /// The names the array destructuring binds.
        bindings: Vec<String>,
        /// What is iterated.
        iterable: Expr,
        /// The loop's statement.
        body: Box<Stmt>,
    },
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// A variable or parameter.
    Ident(String),
    /// `this`.
    This,
    /// A string literal of this text.
    Str(String),
    /// `object.name`.
    Member(Box<Expr>, String),
    /// `callee<T>(args)`.
    Call {
        /// What is called.
        callee: Box<Expr>,
        /// The explicit type arguments (none for `callee(args)`).
        type_args: Vec<Type>,
        /// The arguments.
        args: Vec<Expr>,
    },
    /// `target = value`.
    Assign(Box<Expr>, Box<Expr>),
    /// `(params): R => body`.
    Arrow {
        /// The parameters.
        params: Vec<Param>,
        /// The declared return type, if any.
        returns: Option<Type>,
        /// The body.
        body: ArrowBody,
    },
    /// `[a, b]`.
    Array(Vec<Expr>, Layout),
    /// `{ key: value }`, always one entry a line (the keys are raw; the printer quotes those
    /// that are not identifiers).
    Object(Vec<(String, Expr)>),
}

/// The body of an arrow function.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ArrowBody {
    /// An expression.
    Expr(Box<Expr>),
    /// A block of statements.
    Block(Vec<Stmt>),
}

/// How a literal with elements is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// On one line: `[a, b]`.
    Inline,
    /// One element a line, each followed by a comma, the brackets on the lines around them.
    Lines,
}

impl Expr {
    /// A variable or parameter.
    pub(crate) fn ident(name: impl Into<String>) -> Expr {
        Expr::Ident(name.into())
    }

    /// `self.name`.
    pub(crate) fn member(self, name: impl Into<String>) -> Expr {
        Expr::Member(Box::new(self), name.into())
    }

    /// `self<type_args>(args)`.
    pub(crate) fn call(self, type_args: Vec<Type>, args: Vec<Expr>) -> Expr {
        Expr::Call {
            callee: Box::new(self),
            type_args,
            args,
        }
    }

    /// `self = value`.
    pub(crate) fn assign(self, value: Expr) -> Expr {
        Expr::Assign(Box::new(self), Box::new(value))
    }
}

impl Module {
    /// A module of `decls` with the imports that they need: the `signalR` namespace from
    /// `@microsoft/signalr` when they refer to one of its types, and from `types` (the module
    /// specifier of `types.ts`) the [`Name::Local`] types they refer to and do not declare,
    /// sorted.
    pub(crate) fn new(decls: Vec<Decl>, types: &str) -> Module {
        let mut module = Module {
            imports: Vec::new(),
            decls,
        };
        let mut signalr = false;
        let mut locals = BTreeSet::new();
        module.each_type(&mut |ty| match ty {
            Type::Ref(Name::SignalR(_), _) => signalr = true,
            Type::Ref(Name::Local(name), _) => {
                locals.insert(name.clone());
            }
            _ => {}
        });
        for declared in module.exported() {
            locals.remove(declared);
        }
        if signalr {
            module.imports.push(Import::Namespace {
                name: "signalR".to_owned(),
                from: "@microsoft/signalr".to_owned(),
            });
        }
        if !locals.is_empty() {
            module.imports.push(Import::Names {
                names: locals.into_iter().collect(),
                from: types.to_owned(),
            });
        }
        module
    }

    /// The names the module's declarations export, in order (re-exports aside).
    pub(crate) fn exported(&self) -> Vec<&str> {
        self.decls
            .iter()
            .filter_map(|decl| match decl {
                Decl::Interface(Interface { name, .. })
                | Decl::Alias(Alias { name, .. })
                | Decl::Class(Class { name, .. })
                | Decl::Function(Function { name, .. }) => Some(name.as_str()),
                Decl::ExportAll(_) | Decl::ExportNothing => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ts::Keyword;

    #[test]
    fn imports_are_what_the_declarations_refer_to_and_do_not_declare() {
        let field = |name: &str, ty: Type| Member::Property {
            docs: String::new(),
            field: Field {
                key: name.to_owned(),
                optional: false,
                ty,
            },
        };
        let interface = |name: &str, members| {
            Decl::Interface(Interface {
                docs: String::new(),
                name: name.to_owned(),
                members,
            })
        };
        let module = Module::new(
            vec![
                interface(
                    "Handlers",
                    vec![
                        field("b", Type::array(Type::local("B"))),
                        field("own", Type::local("Own")),
                        field("a", Type::promise(Type::local("A"))),
                    ],
                ),
                interface("Own", vec![field("x", Type::keyword(Keyword::Number))]),
            ],
            "./types.js",
        );
        assert_eq!(
            module.imports,
            [Import::Names {
                names: vec!["A".to_owned(), "B".to_owned()],
                from: "./types.js".to_owned()
            }]
        );
        assert_eq!(module.exported(), ["Handlers", "Own"]);
        let connection = interface(
            "Uses",
            vec![field("c", Type::signalr("HubConnection", Vec::new()))],
        );
        let module = Module::new(vec![connection, Decl::ExportNothing], "./types.js");
        assert!(matches!(
            module.imports.as_slice(),
            [Import::Namespace { name, .. }] if name == "signalR"
        ));
    }
}
