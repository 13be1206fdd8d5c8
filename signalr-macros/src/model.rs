//! The plain-data model of a hub trait: all the generators ever see.

use proc_macro2::Span;
use syn::{Attribute, Ident, Path, Type, Visibility};

/// Which attribute produced the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TraitKind {
    /// `#[hub]`: methods clients call on the server.
    Hub,
    /// `#[hub_client]`: methods the server calls on clients.
    Client,
}

/// One annotated trait.
pub(crate) struct HubDef {
    pub(crate) kind: TraitKind,
    pub(crate) vis: Visibility,
    pub(crate) ident: Ident,
    /// The path of the runtime crate in generated code.
    pub(crate) krate: Path,
    pub(crate) methods: Vec<MethodDef>,
}

/// One method of the trait.
pub(crate) struct MethodDef {
    /// Attributes to keep (docs), without the `#[hub(..)]` helper.
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) ident: Ident,
    pub(crate) wire_name: String,
    /// Where the wire name came from: the `name = ".."` literal, or the method's identifier.
    pub(crate) wire_span: Span,
    /// The name of the `&HubCx` parameter, when the method takes one.
    pub(crate) context: Option<Ident>,
    /// The parameters bound from the invocation's arguments, in order.
    pub(crate) params: Vec<ParamDef>,
    pub(crate) output: ReturnShape,
}

/// A parameter bound from one argument.
pub(crate) struct ParamDef {
    pub(crate) ident: Ident,
    pub(crate) ty: Type,
}

/// What a method returns, as far as the dispatcher cares.
#[allow(clippy::large_enum_variant)] // one per method, at compile time
pub(crate) enum ReturnShape {
    /// Nothing (`()` or no return type): the completion carries no result.
    Unit,
    /// A value sent as the result.
    Value(Type),
    /// `Result<T, E>` (or `HubResult<T>`): `T` as above, `E` converted into a `HubError`.
    Fallible {
        /// The success type; `None` for `()`.
        ok: Option<Type>,
        /// The full `Result` type, for spans.
        result: Type,
    },
}
