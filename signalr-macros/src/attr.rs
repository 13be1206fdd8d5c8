//! The helper attributes: `#[hub(..)]` on the trait and `#[hub(name = "..")]` on methods.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitStr, Path};

use crate::ctxt::Ctxt;
use crate::model::Rule;
use crate::naming::RenameRule;

/// Options of the trait attribute.
pub(crate) struct TraitAttrs {
    pub(crate) rename_all: RenameRule,
    pub(crate) krate: Path,
    /// Requirements of every method, with where each was written.
    pub(crate) rules: Vec<(Rule, Span)>,
}

const TRAIT_KEYS: &str = "`rename_all`, `crate`, `authorize`, `policy`";
const METHOD_KEYS: &str = "`name`, `authorize`, `policy`";

/// Options of one method.
#[derive(Default)]
pub(crate) struct MethodAttrs {
    /// The wire name, when renamed.
    pub(crate) name: Option<LitStr>,
    /// Who may call, with where each requirement was written.
    pub(crate) rules: Vec<(Rule, Span)>,
}

/// Parses `authorize`, `authorize = "role"`, `policy = "name"` or `policy = path::to::check`;
/// `None` when `meta` is another key.
fn parse_rule(meta: &ParseNestedMeta<'_>) -> syn::Result<Option<(Rule, Span)>> {
    let span = meta
        .path
        .get_ident()
        .map_or_else(Span::call_site, syn::Ident::span);
    if meta.path.is_ident("authorize") {
        if !meta.input.peek(syn::Token![=]) {
            return Ok(Some((Rule::Authenticated, span)));
        }
        let role: LitStr = meta.value()?.parse()?;
        return Ok(Some((Rule::Role(role.value()), role.span())));
    }
    if meta.path.is_ident("policy") {
        let value = meta.value()?;
        if value.peek(LitStr) {
            let name: LitStr = value.parse()?;
            return Ok(Some((Rule::Policy(name.value()), name.span())));
        }
        let check: Path = value.parse()?;
        let span = syn::spanned::Spanned::span(&check);
        return Ok(Some((Rule::Check(check), span)));
    }
    Ok(None)
}

/// Parses the arguments of `#[hub(..)]` / `#[hub_client(..)]` on the trait itself.
pub(crate) fn parse_trait_attrs(cx: &Ctxt, args: proc_macro2::TokenStream) -> TraitAttrs {
    let mut attrs = TraitAttrs {
        rename_all: RenameRule::PascalCase,
        krate: syn::parse_quote!(::signalr_runtime),
        rules: Vec::new(),
    };
    let parser = syn::meta::parser(|meta| {
        if let Some(rule) = parse_rule(&meta)? {
            attrs.rules.push(rule);
            Ok(())
        } else if meta.path.is_ident("rename_all") {
            let value: LitStr = meta.value()?.parse()?;
            match RenameRule::from_name(&value.value()) {
                Some(rule) => attrs.rename_all = rule,
                None => cx.error_spanned_by(
                    &value,
                    format!(
                        "unknown rename rule `{}`, expected one of: {}",
                        value.value(),
                        RenameRule::NAMES
                    ),
                ),
            }
            Ok(())
        } else if meta.path.is_ident("crate") {
            let value: LitStr = meta.value()?.parse()?;
            attrs.krate = value.parse()?;
            Ok(())
        } else {
            Err(meta.error(format!(
                "unknown `hub` attribute `{}`, expected one of: {TRAIT_KEYS}",
                path_text(&meta.path)
            )))
        }
    });
    if let Err(error) = syn::parse::Parser::parse2(parser, args) {
        cx.syn_error(error);
    }
    attrs
}

/// Takes the `#[hub(..)]` helpers off a method; returns the renamed wire name, if any.
pub(crate) fn take_method_attrs(cx: &Ctxt, attrs: &mut Vec<Attribute>) -> MethodAttrs {
    let mut name = None;
    let mut rules = Vec::new();
    attrs.retain(|attr| {
        if !attr.path().is_ident("hub") {
            return true;
        }
        let parsed = attr.parse_nested_meta(|meta| {
            if let Some(rule) = parse_rule(&meta)? {
                rules.push(rule);
                Ok(())
            } else if meta.path.is_ident("name") {
                let value: LitStr = meta.value()?.parse()?;
                if name.is_some() {
                    cx.error_spanned_by(&value, "duplicate `hub` attribute `name`");
                }
                name = Some(value);
                Ok(())
            } else {
                Err(meta.error(format!(
                    "unknown `hub` method attribute `{}`, expected one of: {METHOD_KEYS}",
                    path_text(&meta.path)
                )))
            }
        });
        if let Err(error) = parsed {
            cx.syn_error(error);
        }
        false
    });
    if let Some(name) = name.as_ref().filter(|name| name.value().is_empty()) {
        cx.syn_error(syn::Error::new(
            name.span(),
            "a hub method name cannot be empty",
        ));
    }
    MethodAttrs { name, rules }
}

fn path_text(path: &Path) -> String {
    quote::quote!(#path).to_string().replace(' ', "")
}
