//! The plain-data model of a hub trait: all the generators ever see.

use proc_macro2::Span;
use syn::{Attribute, Expr, ExprLit, Ident, Lit, Meta, Path, Type, Visibility};

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
    /// The trait's doc comment, as text.
    pub(crate) docs: String,
    /// The path of the runtime crate in generated code.
    pub(crate) krate: Path,
    pub(crate) methods: Vec<MethodDef>,
    /// Which lifecycle hooks the trait declares.
    pub(crate) hooks: Hooks,
    /// What every caller of every method must meet (`#[hub(authorize)]` on the trait).
    pub(crate) rules: Vec<Rule>,
}

/// One authorization requirement.
pub(crate) enum Rule {
    /// `authorize`: any authenticated user.
    Authenticated,
    /// `authorize = "role"`.
    Role(String),
    /// `policy = "name"`: a policy the endpoint registers.
    Policy(String),
    /// `policy = path::to::check`: a `fn(&AuthorizationContext) -> bool`.
    Check(Path),
}

/// `on_connected` and `on_disconnected`: declared in a hub trait, they run when a connection
/// comes and goes, and clients cannot call them.
#[derive(Default)]
pub(crate) struct Hooks {
    pub(crate) connected: bool,
    pub(crate) disconnected: bool,
}

/// One method of the trait.
pub(crate) struct MethodDef {
    /// Attributes to keep (docs), without the `#[hub(..)]` helper.
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) ident: Ident,
    /// The method's doc comment, as text.
    pub(crate) docs: String,
    pub(crate) wire_name: String,
    /// Where the wire name came from: the `name = ".."` literal, or the method's identifier.
    pub(crate) wire_span: Span,
    /// What a caller must meet, besides the trait's own requirements.
    pub(crate) rules: Vec<Rule>,
    /// The name of the `&HubCx` parameter, when the method takes one.
    pub(crate) context: Option<Ident>,
    /// The parameters bound from the invocation's arguments, in order.
    pub(crate) params: Vec<ParamDef>,
    pub(crate) output: ReturnShape,
}

/// A parameter bound from one argument, or from one upload stream.
pub(crate) struct ParamDef {
    pub(crate) ident: Ident,
    pub(crate) ty: Type,
    /// `Some(T)` for an upload stream `ClientStream<T>`, bound from the call's `streamIds`.
    pub(crate) upload: Option<Type>,
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
    /// A stream of items (`fn` returning `impl Stream<Item = T> + Send`).
    Stream(StreamShape),
}

/// What a streaming method returns.
pub(crate) struct StreamShape {
    /// The type of the items the client receives.
    pub(crate) item: Type,
    /// The item's `Result<T, E>` type when items may fail: an error item ends the stream.
    pub(crate) item_error: Option<Type>,
    /// The `Result<impl Stream, E>` return type when the method may fail to start.
    pub(crate) start_error: Option<Type>,
}

/// The text of the `///` comments among `attrs`, one line each, without the leading space.
pub(crate) fn doc_text(attrs: &[Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            Meta::NameValue(pair) => match &pair.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(text),
                    ..
                }) => Some(text.value()),
                _ => None,
            },
            _ => None,
        })
        .map(|line| {
            line.strip_prefix(' ')
                .unwrap_or(&line)
                .trim_end()
                .to_owned()
        })
        .collect();
    lines.join("\n").trim().to_owned()
}

/// A type as the user wrote it, without the token spacing of `quote`.
pub(crate) fn type_text(ty: &Type) -> String {
    quote::quote!(#ty)
        .to_string()
        .replace(' ', "")
        .replace(',', ", ")
}
