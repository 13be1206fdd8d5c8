//! Workspace-level tests live in `e2e/` and `js/`; this library is empty.
