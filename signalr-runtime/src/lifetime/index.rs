//! Named sets of connections, both ways: groups, and the connections of each user.

use std::collections::{HashMap, HashSet};

use crate::connection_id::ConnectionId;

/// Names to connections and connections to names, kept in step.
#[derive(Debug, Default)]
pub(crate) struct Index {
    members: HashMap<String, HashSet<ConnectionId>>,
    names: HashMap<ConnectionId, HashSet<String>>,
}

impl Index {
    /// Adds `id` to set `name`; `true` if the set was empty before.
    pub(crate) fn add(&mut self, name: &str, id: &ConnectionId) -> bool {
        let members = self.members.entry(name.to_owned()).or_default();
        let first = members.is_empty();
        members.insert(id.clone());
        self.names
            .entry(id.clone())
            .or_default()
            .insert(name.to_owned());
        first
    }

    /// Takes `id` out of set `name`; `true` if that emptied the set.
    pub(crate) fn remove(&mut self, name: &str, id: &ConnectionId) -> bool {
        let mut emptied = false;
        if let Some(members) = self.members.get_mut(name) {
            emptied = members.remove(id) && members.is_empty();
            if members.is_empty() {
                self.members.remove(name);
            }
        }
        if let Some(names) = self.names.get_mut(id) {
            names.remove(name);
            if names.is_empty() {
                self.names.remove(id);
            }
        }
        emptied
    }

    /// Takes a connection out of every set it is in; returns the sets that emptied.
    pub(crate) fn remove_connection(&mut self, id: &ConnectionId) -> Vec<String> {
        let mut emptied = Vec::new();
        for name in self.names.remove(id).unwrap_or_default() {
            if let Some(members) = self.members.get_mut(&name) {
                members.remove(id);
                if members.is_empty() {
                    self.members.remove(&name);
                    emptied.push(name);
                }
            }
        }
        emptied
    }

    /// The members of every named set, each once.
    pub(crate) fn members<'a>(
        &self,
        names: impl IntoIterator<Item = &'a String>,
    ) -> HashSet<ConnectionId> {
        names
            .into_iter()
            .filter_map(|name| self.members.get(name))
            .flatten()
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_empty_out_and_members_are_unique() {
        let (a, b) = (ConnectionId::from("a"), ConnectionId::from("b"));
        let mut index = Index::default();
        index.add("x", &a);
        index.add("y", &a);
        index.add("y", &b);
        let names = ["x".to_owned(), "y".to_owned()];
        assert_eq!(index.members(&names).len(), 2);
        index.remove_connection(&a);
        assert_eq!(index.members(&names), HashSet::from([b.clone()]));
        index.remove("y", &b);
        assert!(index.members.is_empty() && index.names.is_empty());
    }
}
