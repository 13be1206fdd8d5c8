//! TypeScript type expressions, and the constructors that keep them in the shape the printer
//! expects (no one-member unions, no empty intersections).

use serde_json::Value;

/// A TypeScript type expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Type {
    /// A type keyword: `string`, `null`, `unknown`…
    Keyword(Keyword),
    /// A named type, with its type arguments if it has any: `User`, `Promise<T>`,
    /// `signalR.Subject<T>`.
    Ref(Name, Vec<Type>),
    /// A JSON value as a literal type: `"red"`, `1`, `true`.
    Literal(Value),
    /// `T[]`, printed `Array<T>` when `T` is compound.
    Array(Box<Type>),
    /// `[A, B]`.
    Tuple(Vec<Type>),
    /// `A | B`, two members or more ([`Type::union`]); a member may be a union itself, printed
    /// without parentheses.
    Union(Vec<Type>),
    /// `A & B`, one member or more ([`Type::intersection`]); each compound member is
    /// parenthesized.
    Intersection(Vec<Type>),
    /// An object type on one line: `{ a: string; b?: number; [key: string]: T }`.
    Object {
        /// The properties, in order.
        fields: Vec<Field>,
        /// The type of the values under any other key (an index signature).
        index: Option<Box<Type>>,
    },
    /// `(a: A, ...rest: B[]) => R`.
    Function(Vec<Param>, Box<Type>),
}

/// The type keywords the generator uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keyword {
    /// `any`.
    Any,
    /// `bigint`.
    BigInt,
    /// `boolean`.
    Boolean,
    /// `never`.
    Never,
    /// `null`.
    Null,
    /// `number`.
    Number,
    /// `string`.
    String,
    /// `undefined`.
    Undefined,
    /// `unknown`.
    Unknown,
    /// `void`.
    Void,
}

impl Keyword {
    /// The keyword as TypeScript spells it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Keyword::Any => "any",
            Keyword::BigInt => "bigint",
            Keyword::Boolean => "boolean",
            Keyword::Never => "never",
            Keyword::Null => "null",
            Keyword::Number => "number",
            Keyword::String => "string",
            Keyword::Undefined => "undefined",
            Keyword::Unknown => "unknown",
            Keyword::Void => "void",
        }
    }
}

/// What a [`Type::Ref`] names, which says where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Name {
    /// A type that the generated folder declares (in `types.ts`): imported by the files that
    /// refer to it and do not declare it.
    Local(String),
    /// A global of TypeScript's standard library: `Promise`, `Array`, `Record`, `Date`,
    /// `Uint8Array`.
    Global(&'static str),
    /// A type of `@microsoft/signalr`, through the `signalR` namespace import:
    /// `signalR.HubConnection`.
    SignalR(&'static str),
}

/// One property of an object type or interface.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Field {
    /// The key as the JSON has it; the printer quotes it when it is not an identifier.
    pub(crate) key: String,
    /// Whether the property may be absent (`key?:`).
    pub(crate) optional: bool,
    /// Its type.
    pub(crate) ty: Type,
}

/// One parameter of a function, method or function type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Param {
    /// Its name, an identifier.
    pub(crate) name: String,
    /// Its type (of the array, for a rest parameter).
    pub(crate) ty: Type,
    /// Whether it is a rest parameter (`...name: T`).
    pub(crate) rest: bool,
}

impl Param {
    /// A plain parameter `name: ty`.
    pub(crate) fn new(name: impl Into<String>, ty: Type) -> Self {
        Param {
            name: name.into(),
            ty,
            rest: false,
        }
    }
}

impl Type {
    /// `unknown`.
    pub(crate) const UNKNOWN: Type = Type::Keyword(Keyword::Unknown);

    /// A type keyword.
    pub(crate) fn keyword(keyword: Keyword) -> Type {
        Type::Keyword(keyword)
    }

    /// A type that the generated folder declares, by its TypeScript name.
    pub(crate) fn local(name: impl Into<String>) -> Type {
        Type::Ref(Name::Local(name.into()), Vec::new())
    }

    /// A global type of the standard library, with its type arguments.
    pub(crate) fn global(name: &'static str, args: Vec<Type>) -> Type {
        Type::Ref(Name::Global(name), args)
    }

    /// A type of `@microsoft/signalr`, with its type arguments.
    pub(crate) fn signalr(name: &'static str, args: Vec<Type>) -> Type {
        Type::Ref(Name::SignalR(name), args)
    }

    /// `Promise<T>`.
    pub(crate) fn promise(ty: Type) -> Type {
        Type::global("Promise", vec![ty])
    }

    /// A JSON value as a literal type; `null` is the `null` keyword.
    pub(crate) fn literal(value: &Value) -> Type {
        match value {
            Value::Null => Type::Keyword(Keyword::Null),
            other => Type::Literal(other.clone()),
        }
    }

    /// `T[]`.
    pub(crate) fn array(item: Type) -> Type {
        Type::Array(Box::new(item))
    }

    /// `a | b`, without repeats (the first of equal members stays); `never` for no member and
    /// the member itself for one. Members that are unions stay as they are, so that only
    /// equal members are merged.
    pub(crate) fn union(members: Vec<Type>) -> Type {
        let mut kept: Vec<Type> = Vec::with_capacity(members.len());
        for member in members {
            if !kept.contains(&member) {
                kept.push(member);
            }
        }
        match kept.len() {
            0 => Type::Keyword(Keyword::Never),
            1 => kept.pop().unwrap_or(Type::Keyword(Keyword::Never)),
            _ => Type::Union(kept),
        }
    }

    /// `a & b`; `unknown` for no member, and a lone member that is not compound as itself (a
    /// compound one keeps its parentheses).
    pub(crate) fn intersection(mut members: Vec<Type>) -> Type {
        match members.len() {
            0 => Type::UNKNOWN,
            1 if members.first().is_some_and(|member| !member.is_compound()) => {
                members.pop().unwrap_or(Type::UNKNOWN)
            }
            _ => Type::Intersection(members),
        }
    }

    /// Whether the type has a `|` or `&` outside brackets when printed, so that `[]` or `&`
    /// beside it would bind tighter than its own operator.
    pub(crate) fn is_compound(&self) -> bool {
        match self {
            Type::Union(members) | Type::Intersection(members) => members.len() > 1,
            _ => false,
        }
    }

    /// The members of the type as a union, with the members of unions within it: `A`, or `A`,
    /// `B` and `C` for `A | (B | C)`.
    fn union_members(&self) -> Vec<&Type> {
        match self {
            Type::Union(members) => members.iter().flat_map(Type::union_members).collect(),
            other => vec![other],
        }
    }
}

/// The type of `[key: string]: T` for the keys beside `fields` (a flattened map), whose values
/// are `extra`. TypeScript wants every property to fit the index signature too, so `T` is the
/// union of them all: an intersection with `{ [key: string]: extra }` instead would accept no
/// object whose properties have other types.
pub(crate) fn index_signature(fields: &[Field], extra: &Type) -> Type {
    let mut members: Vec<Type> = std::iter::once(extra)
        .chain(fields.iter().map(|field| &field.ty))
        .flat_map(Type::union_members)
        .cloned()
        .collect();
    if fields.iter().any(|field| field.optional) {
        members.push(Type::Keyword(Keyword::Undefined));
    }
    Type::union(members)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_keep_the_shape() {
        let string = || Type::keyword(Keyword::String);
        let null = Type::keyword(Keyword::Null);
        assert_eq!(Type::union(vec![]), Type::keyword(Keyword::Never));
        assert_eq!(Type::union(vec![string(), string()]), string());
        assert_eq!(Type::intersection(vec![]), Type::UNKNOWN);
        assert_eq!(Type::intersection(vec![string()]), string());
        let either = Type::union(vec![string(), null.clone()]);
        assert!(either.is_compound());
        assert!(!Type::intersection(vec![either.clone()]).is_compound());
        assert_eq!(Type::literal(&Value::Null), null);
        let nested = Type::union(vec![either, Type::local("User")]);
        assert_eq!(nested.union_members().len(), 3);
    }
}
