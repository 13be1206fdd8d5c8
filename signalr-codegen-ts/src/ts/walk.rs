//! Visiting every type of a module: what the decisions on the tree (such as a file's imports)
//! look at.

use super::decl::{
    Alias, AliasBody, ArrowBody, Class, ClassMember, Decl, Expr, Function, Interface, Member,
    Module, Stmt,
};
use super::ty::{Param, Type};

impl Module {
    /// Calls `visit` with every type in the module, outer types before the types within them.
    pub(crate) fn each_type(&self, visit: &mut impl FnMut(&Type)) {
        for decl in &self.decls {
            decl.each_type(visit);
        }
    }
}

impl Decl {
    fn each_type(&self, visit: &mut impl FnMut(&Type)) {
        match self {
            Decl::Interface(Interface { members, .. }) => {
                for member in members {
                    match member {
                        Member::Property { field, .. } => field.ty.each(visit),
                        Member::Index(ty) => ty.each(visit),
                        Member::Method {
                            params, returns, ..
                        } => signature(params, returns, visit),
                    }
                }
            }
            Decl::Alias(Alias { body, .. }) => match body {
                AliasBody::Type(ty) => ty.each(visit),
                AliasBody::Variants(variants) => {
                    for variant in variants {
                        variant.ty.each(visit);
                    }
                }
            },
            Decl::Class(Class { members, .. }) => {
                for member in members {
                    match member {
                        ClassMember::Field { ty, .. } => ty.each(visit),
                        ClassMember::Constructor { params, body, .. } => {
                            params.iter().for_each(|param| param.ty.each(visit));
                            body.iter().for_each(|stmt| stmt.each_type(visit));
                        }
                        ClassMember::Method {
                            params,
                            returns,
                            body,
                            ..
                        } => {
                            signature(params, returns, visit);
                            body.iter().for_each(|stmt| stmt.each_type(visit));
                        }
                    }
                }
            }
            Decl::Function(Function {
                params,
                returns,
                body,
                ..
            }) => {
                signature(params, returns, visit);
                body.iter().for_each(|stmt| stmt.each_type(visit));
            }
            Decl::ExportAll(_) | Decl::ExportNothing => {}
        }
    }
}

/// The types of a signature's parameters, then its return type.
fn signature(params: &[Param], returns: &Type, visit: &mut impl FnMut(&Type)) {
    for param in params {
        param.ty.each(visit);
    }
    returns.each(visit);
}

impl Stmt {
    fn each_type(&self, visit: &mut impl FnMut(&Type)) {
        match self {
            Stmt::Expr(expr) | Stmt::Return(expr) => expr.each_type(visit),
            Stmt::Const { ty, init, .. } => {
                ty.each(visit);
                init.each_type(visit);
            }
            Stmt::ForOf { iterable, body, .. } => {
                iterable.each_type(visit);
                body.each_type(visit);
            }
        }
    }
}

impl Expr {
    fn each_type(&self, visit: &mut impl FnMut(&Type)) {
        match self {
            Expr::Ident(_) | Expr::This | Expr::Str(_) => {}
            Expr::Member(object, _) => object.each_type(visit),
            Expr::Call {
                callee,
                type_args,
                args,
            } => {
                callee.each_type(visit);
                type_args.iter().for_each(|ty| ty.each(visit));
                args.iter().for_each(|arg| arg.each_type(visit));
            }
            Expr::Assign(target, value) => {
                target.each_type(visit);
                value.each_type(visit);
            }
            Expr::Arrow {
                params,
                returns,
                body,
            } => {
                params.iter().for_each(|param| param.ty.each(visit));
                if let Some(returns) = returns {
                    returns.each(visit);
                }
                match body {
                    ArrowBody::Expr(expr) => expr.each_type(visit),
                    ArrowBody::Block(stmts) => stmts.iter().for_each(|stmt| stmt.each_type(visit)),
                }
            }
            Expr::Array(items, _) => items.iter().for_each(|item| item.each_type(visit)),
            Expr::Object(entries) => entries.iter().for_each(|(_, value)| value.each_type(visit)),
        }
    }
}

impl Type {
    /// Calls `visit` with this type, then with every type within it.
    pub(crate) fn each(&self, visit: &mut impl FnMut(&Type)) {
        visit(self);
        match self {
            Type::Keyword(_) | Type::Literal(_) => {}
            Type::Ref(_, args) => args.iter().for_each(|arg| arg.each(visit)),
            Type::Array(item) => item.each(visit),
            Type::Tuple(members) | Type::Union(members) | Type::Intersection(members) => {
                members.iter().for_each(|member| member.each(visit));
            }
            Type::Object { fields, index } => {
                fields.iter().for_each(|field| field.ty.each(visit));
                if let Some(index) = index {
                    index.each(visit);
                }
            }
            Type::Function(params, returns) => signature(params, returns, visit),
        }
    }
}
