//! What a function does for its callers, read off its own flow: it hands
//! back a freshly checked-out client (`getClient()`), or it releases a
//! client it is given on every path (`releaseClient(client)`). Front ends
//! turn a call of such a function into the acquire or release it stands for.

use std::collections::HashMap;

use super::state::{Holding, analyze};
use super::{Event, EventKind, FnFlow, Returned};

/// A function's effect on its callers' handles; the default is "nothing
/// known", which callers treat as any unknown call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Summary {
    /// A call returns a client checked out of a pool, which the caller must
    /// release.
    pub returns_client: bool,
    /// Parameters, by position, released on every path through the body.
    pub releases: Vec<usize>,
    /// Parameters, by position, that are only used (queried through):
    /// never released, ended, stored or handed on. A transaction on what
    /// a caller passes there is still the caller's to end.
    pub keeps: Vec<usize>,
}

/// Summaries by the name a call site uses (`getClient`, `db.getClient`,
/// `Repo.release`).
pub(crate) type Summaries = HashMap<String, Summary>;

impl Summary {
    pub fn is_empty(&self) -> bool {
        !self.returns_client && self.releases.is_empty() && self.keeps.is_empty()
    }
}

/// The summary of one function; empty when it does nothing a caller needs
/// to know.
pub(crate) fn summarize(flow: &FnFlow) -> Summary {
    let returns_client = flow.returned.iter().any(|returned| match *returned {
        Returned::FreshClient => true,
        Returned::Handle(handle) => flow.events_of(handle, EventKind::Acquire).next().is_some(),
    });
    let releases = flow
        .params
        .iter()
        .enumerate()
        .filter(|(_, name)| {
            name.as_deref()
                .is_some_and(|name| releases_on_every_path(flow, name))
        })
        .map(|(position, _)| position)
        .collect();
    let keeps = flow
        .params
        .iter()
        .enumerate()
        .filter(|(_, name)| name.as_deref().is_some_and(|name| only_uses(flow, name)))
        .map(|(position, _)| position)
        .collect();
    Summary {
        returns_client,
        releases,
        keeps,
    }
}

/// Whether the function does nothing to the parameter `name` but use it.
fn only_uses(flow: &FnFlow, name: &str) -> bool {
    let Some(handle) = flow.handles.iter().position(|h| h.name == name) else {
        return false;
    };
    let mut events = flow
        .blocks
        .iter()
        .flat_map(|b| &b.events)
        .filter(|e| e.handle == handle)
        .peekable();
    events.peek().is_some() && events.all(|e| e.kind == EventKind::Use)
}

/// Whether the parameter `name`, taken as a client checked out by the
/// caller, is given back on every way out of the function.
fn releases_on_every_path(flow: &FnFlow, name: &str) -> bool {
    let Some(handle) = flow.handles.iter().position(|h| h.name == name) else {
        return false;
    };
    if flow.events_of(handle, EventKind::Release).next().is_none() {
        return false;
    }
    let mut given = flow.clone();
    given.blocks[given.entry].events.insert(
        0,
        Event {
            kind: EventKind::Acquire,
            handle,
            span: flow.span,
        },
    );
    let facts = analyze(&given);
    let handle_facts = &facts.handles[handle];
    !handle_facts.truncated
        && handle_facts
            .exits
            .iter()
            .all(|exit| exit.holding == Holding::Released)
}
