//! Markdown read as the checker needs it: its prose lines, and their links and code spans.

/// The lines outside fenced code blocks and HTML comments, with their 1-based numbers.
pub(crate) fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut lines = Vec::new();
    let mut fence: Option<(char, usize)> = None;
    let mut comment = false;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let marker = trimmed.chars().next().filter(|c| matches!(c, '`' | '~'));
        let run = marker.map_or(0, |m| trimmed.chars().take_while(|&c| c == m).count());
        match (fence, marker) {
            (None, Some(m)) if run >= 3 => {
                fence = Some((m, run));
                continue;
            }
            (Some((m, open)), Some(close)) if close == m && run >= open => {
                if trimmed.trim_end().chars().all(|c| c == m) {
                    fence = None;
                }
                continue;
            }
            (Some(_), _) => continue,
            _ => {}
        }
        if comment {
            if line.contains("-->") {
                comment = false;
            }
            continue;
        }
        if trimmed.starts_with("<!--") && !line.contains("-->") {
            comment = true;
            continue;
        }
        lines.push((index + 1, line));
    }
    lines
}

/// Something found in a document's prose.
#[derive(Debug, PartialEq)]
pub(crate) enum Kind {
    /// A link's destination.
    Link(String),
    /// A code span's text.
    Code(String),
}

#[derive(Debug)]
pub(crate) struct Item {
    pub(crate) line: usize,
    pub(crate) kind: Kind,
}

/// The links and code spans of a document, outside fenced code blocks.
pub(crate) fn scan(text: &str) -> Vec<Item> {
    let mut items = Vec::new();
    for (line, content) in prose_lines(text) {
        // Code spans first: what is inside them is not a link.
        let mut prose = String::new();
        let mut rest = content;
        while let Some(open) = rest.find('`') {
            let ticks = rest
                .get(open..)
                .unwrap_or_default()
                .chars()
                .take_while(|&c| c == '`')
                .count();
            prose.push_str(rest.get(..open).unwrap_or_default());
            let after = rest.get(open + ticks..).unwrap_or_default();
            let closing = "`".repeat(ticks);
            match after.find(&closing) {
                Some(close) => {
                    let span = after.get(..close).unwrap_or_default().trim();
                    let following = after.get(close + ticks..).unwrap_or_default();
                    // The whole text of a link (`` [`path`](url) ``) names what the link does.
                    let link_text = prose.ends_with('[') && following.starts_with("](");
                    if !link_text {
                        items.push(Item {
                            line,
                            kind: Kind::Code(span.to_owned()),
                        });
                    }
                    prose.push(' ');
                    rest = following;
                }
                None => {
                    prose.push_str(rest.get(open..open + ticks).unwrap_or_default());
                    rest = after;
                }
            }
        }
        prose.push_str(rest);
        for target in link_targets(&prose) {
            items.push(Item {
                line,
                kind: Kind::Link(target),
            });
        }
    }
    items
}

/// The destinations of one line's inline links and images (`[text](dest "title")`), reference
/// definitions (`[id]: dest`) and HTML `href`/`src` attributes.
fn link_targets(prose: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let trimmed = prose.trim_start();
    if trimmed.starts_with('[')
        && let Some((label, dest)) = trimmed.split_once("]:")
        && !label.contains(']')
    {
        if label.starts_with("[^") {
            // A footnote, not a link.
            return targets;
        }
        if let Some(dest) = dest.split_whitespace().next() {
            targets.push(unwrap_angle(dest));
        }
        return targets;
    }
    let mut rest = prose;
    while let Some(at) = rest.find("](") {
        let tail = rest.get(at + 2..).unwrap_or_default();
        let mut depth = 1;
        let mut end = tail.len();
        for (index, c) in tail.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = index;
                        break;
                    }
                }
                _ => {}
            }
        }
        let inside = tail.get(..end).unwrap_or_default().trim();
        let dest = if inside.starts_with('<') {
            inside.split_once('>').map_or(inside, |(dest, _)| dest)
        } else {
            inside.split_whitespace().next().unwrap_or_default()
        };
        targets.push(unwrap_angle(dest));
        rest = tail.get(end..).unwrap_or_default();
    }
    for attribute in ["href=\"", "src=\""] {
        let mut rest = prose;
        while let Some(at) = rest.find(attribute) {
            let tail = rest.get(at + attribute.len()..).unwrap_or_default();
            if let Some((dest, _)) = tail.split_once('"') {
                targets.push(dest.to_owned());
            }
            rest = tail;
        }
    }
    targets
}

fn unwrap_angle(dest: &str) -> String {
    dest.trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}
