//! A small typed tree of the TypeScript the generator writes, and its one printer.
//!
//! As tonic-build generates from a typed description of the services rather than from text,
//! the generator first turns the contract into this tree ([`Module`]s of [`Decl`]s whose types
//! are [`Type`]s) and only then into text with [`print()`]. Every later decision is made on the
//! tree, never on text: a union is parenthesized where an operator would otherwise bind tighter
//! ([`Type`] knows which types are compound), an index signature takes the members of its
//! fields' unions ([`index_signature`]), the imports of a file are the names its types refer to
//! ([`Module::new`]), and the names a file exports are those of its declarations
//! ([`Module::exported`]).
//!
//! The tree holds names as TypeScript spells them (the generator's naming rules are in
//! `names`), doc comments as the Rust docs read, and property keys and string literals as raw
//! text: the printer escapes and quotes them.

mod decl;
mod print;
mod ty;
mod walk;

pub(crate) use decl::{
    Alias, AliasBody, ArrowBody, Class, ClassMember, Decl, Expr, Function, Interface, Layout,
    Member, Module, Stmt, Variant,
};
pub(crate) use print::print;
#[cfg(test)]
pub(crate) use print::ty as type_text;
pub(crate) use ty::{Field, Keyword, Param, Type, index_signature};
