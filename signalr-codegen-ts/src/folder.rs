//! The generated folder: one module per file (`types.ts`, one per hub and client trait, and
//! `index.ts` re-exporting them all), checked for clashing names, then printed.

use std::collections::BTreeMap;

use crate::contract::{Contract, Role};
use crate::error::{Error, Within as _};
use crate::options::Options;
use crate::output::Output;
use crate::schema::TypeWriter;
use crate::ts::{self, Decl, Module};
use crate::{client, hub, names, types, views};

/// The module specifier of `types.ts`, as the other files import it.
const TYPES: &str = "./types.js";

/// The files generated for `contract`.
pub(crate) fn files(contract: &Contract, options: &Options) -> Result<Output, Error> {
    let (declarations, names) = views::declarations(contract)?;
    let types = types::types_module(&declarations, &names, options, TYPES)?;
    // `index.ts` re-exports every file, so each name may be exported once.
    let mut exports: BTreeMap<String, String> = types
        .exported()
        .into_iter()
        .map(|name| (name.to_owned(), "types.ts".to_owned()))
        .collect();
    let mut modules = BTreeMap::from([("types.ts".to_owned(), types)]);
    let mut index = vec![Decl::ExportAll(TYPES.to_owned())];
    for hub in &contract.hubs {
        let mut writer = TypeWriter::new(options, &names);
        let decls = match hub.role {
            Role::Hub => hub::hub_decls(&mut writer, hub),
            Role::Client => client::client_decls(&mut writer, hub),
        }
        .within(|| format!("hub `{}`", hub.name))?;
        let module = Module::new(decls, TYPES);
        for name in module.exported() {
            if let Some(owner) = exports.insert(name.to_owned(), hub.name.clone()) {
                return Err(Error::new(format!(
                    "`{name}` would be exported for both `{owner}` and `{}`",
                    hub.name
                )));
            }
        }
        let file_name = names::identifier(&hub.name);
        let name = format!("{file_name}.ts");
        // Compared without case: on macOS and Windows `Types.ts` would overwrite `types.ts`.
        let clash = |other: &String| other.eq_ignore_ascii_case(&name);
        if modules.keys().any(clash) || name.eq_ignore_ascii_case("index.ts") {
            return Err(Error::new(format!("two files would be named `{name}`")));
        }
        modules.insert(name, module);
        index.push(Decl::ExportAll(format!("./{file_name}.js")));
    }
    modules.insert("index.ts".to_owned(), Module::new(index, TYPES));
    let files = modules
        .into_iter()
        .map(|(name, module)| (name, ts::print(&module)))
        .collect();
    Ok(Output::new(files))
}
