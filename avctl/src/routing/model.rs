//! A model of Alertmanager 0.25's routing and inhibition, over its configuration file: which
//! routes an alert's labels reach (dispatch/route.go `Match`) and whether a firing alert mutes
//! another (inhibit/inhibit.go `Mutes`). The end-to-end test checks it against a real one.

use super::config::{AmConfig, AmInhibitRule, AmRoute};
use super::matcher::{LabelMap, Matcher, all_match};

/// A route with its receiver resolved (inherited from the parent when unset).
#[derive(Debug, Clone)]
pub struct Node {
    /// Child indices from the root: `[]` is the root, `[1, 0]` its second child's first child.
    pub path: Vec<usize>,
    pub receiver: String,
    pub matchers: Vec<Matcher>,
    pub continue_: bool,
    pub children: Vec<Node>,
}

impl Node {
    fn new(route: &AmRoute, parent: Option<&str>, path: Vec<usize>) -> Result<Self, String> {
        let receiver = match (&route.receiver, parent) {
            (Some(r), _) => r.clone(),
            (None, Some(p)) => p.to_owned(),
            (None, None) => return Err("the root route has no receiver".to_owned()),
        };
        let matchers = route
            .matchers
            .iter()
            .map(|m| Matcher::parse(m).map_err(|e| format!("route matcher `{m}`: {}", e.message)))
            .collect::<Result<Vec<_>, _>>()?;
        let children = route
            .routes
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut p = path.clone();
                p.push(i);
                Node::new(r, Some(&receiver), p)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { path, receiver, matchers, continue_: route.continue_, children })
    }

    /// The routes an alert ends at, in order: Alertmanager's depth-first match where a child
    /// that matches stops its later siblings unless it has `continue`, and a node no child
    /// takes is itself the match.
    fn matching<'a>(&'a self, labels: &LabelMap, out: &mut Vec<&'a Node>) -> bool {
        if !all_match(&self.matchers, labels) {
            return false;
        }
        let before = out.len();
        for child in &self.children {
            if child.matching(labels, out) && !child.continue_ {
                break;
            }
        }
        if out.len() == before {
            out.push(self);
        }
        true
    }

    fn walk<'a>(&'a self, out: &mut Vec<&'a Node>) {
        out.push(self);
        for c in &self.children {
            c.walk(out);
        }
    }

    /// `route`, `route.routes[1]`, ...: how a route is named in findings and reports.
    pub fn name(&self) -> String {
        route_name(&self.path)
    }
}

pub fn route_name(path: &[usize]) -> String {
    let mut s = "route".to_owned();
    for i in path {
        s.push_str(&format!(".routes[{i}]"));
    }
    s
}

#[derive(Debug, Clone)]
pub struct Router {
    pub root: Node,
}

impl Router {
    pub fn new(route: &AmRoute) -> Result<Self, String> {
        Ok(Self { root: Node::new(route, None, Vec::new())? })
    }

    /// The routes an alert with these labels ends at (never empty: the root catches all).
    pub fn matches(&self, labels: &LabelMap) -> Vec<&Node> {
        let mut out = Vec::new();
        self.root.matching(labels, &mut out);
        out
    }

    /// The receivers notified, in route order, as `amtool config routes test` prints them.
    pub fn receivers(&self, labels: &LabelMap) -> Vec<String> {
        self.matches(labels).into_iter().map(|n| n.receiver.clone()).collect()
    }

    /// Every route, depth first.
    pub fn nodes(&self) -> Vec<&Node> {
        let mut out = Vec::new();
        self.root.walk(&mut out);
        out
    }
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub source: Vec<Matcher>,
    pub target: Vec<Matcher>,
    pub equal: Vec<String>,
}

impl Rule {
    pub fn new(r: &AmInhibitRule) -> Result<Self, String> {
        let parse = |list: &[String]| {
            list.iter()
                .map(|m| Matcher::parse(m).map_err(|e| format!("inhibition matcher `{m}`: {}", e.message)))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Self {
            source: parse(&r.source_matchers)?,
            target: parse(&r.target_matchers)?,
            equal: r.equal.clone(),
        })
    }

    /// Whether `source` (firing) mutes `target` under this rule alone.
    pub fn mutes(&self, source: &LabelMap, target: &LabelMap) -> bool {
        if !all_match(&self.target, target) || !all_match(&self.source, source) {
            return false;
        }
        let get = |l: &LabelMap, n: &str| l.get(n).map_or(String::new(), Clone::clone);
        if self.equal.iter().any(|n| get(source, n) != get(target, n)) {
            return false;
        }
        // An alert matching both sides cannot be muted by another alert that also matches
        // both (Alertmanager's `excludeTwoSidedMatch`), or such alerts would mute each other.
        !(all_match(&self.source, target) && all_match(&self.target, source))
    }
}

#[derive(Debug, Clone)]
pub struct Inhibitor {
    pub rules: Vec<Rule>,
}

impl Inhibitor {
    pub fn new(rules: &[AmInhibitRule]) -> Result<Self, String> {
        Ok(Self { rules: rules.iter().map(Rule::new).collect::<Result<_, _>>()? })
    }

    /// Whether `target` is muted while the `firing` alerts fire: the first (rule, source) that
    /// mutes it.
    pub fn muted_by(&self, target: &LabelMap, firing: &[LabelMap]) -> Option<(usize, usize)> {
        self.rules.iter().enumerate().find_map(|(ri, r)| {
            firing.iter().position(|s| s != target && r.mutes(s, target)).map(|si| (ri, si))
        })
    }
}

/// Both halves of a configuration.
pub fn load(cfg: &AmConfig) -> Result<(Router, Inhibitor), String> {
    Ok((Router::new(&cfg.route)?, Inhibitor::new(&cfg.inhibit_rules)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> LabelMap {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn route(receiver: Option<&str>, matchers: &[&str], cont: bool, routes: Vec<AmRoute>) -> AmRoute {
        AmRoute {
            receiver: receiver.map(str::to_owned),
            matchers: matchers.iter().map(|m| (*m).to_owned()).collect(),
            continue_: cont,
            routes,
            ..AmRoute::default()
        }
    }

    #[test]
    fn routes_like_alertmanager() {
        let tree = route(
            Some("chat"),
            &[],
            false,
            vec![
                route(Some("pager"), &[r#"severity="critical""#], true, vec![]),
                route(
                    Some("tickets"),
                    &[r#"severity=~"critical|warning""#],
                    false,
                    vec![route(None, &[r#"team="gpu""#], false, vec![])],
                ),
                route(Some("never"), &[r#"severity="warning""#], false, vec![]),
            ],
        );
        let r = Router::new(&tree).expect("router");
        assert_eq!(r.receivers(&labels(&[("severity", "critical")])), ["pager", "tickets"]);
        // The warning stops at `tickets` (no continue), so the later `never` is shadowed.
        assert_eq!(r.receivers(&labels(&[("severity", "warning")])), ["tickets"]);
        // The nested route inherits its parent's receiver.
        let nested = r.matches(&labels(&[("severity", "warning"), ("team", "gpu")]));
        assert_eq!(
            (nested[0].receiver.as_str(), nested[0].name()),
            ("tickets", "route.routes[1].routes[0]".to_owned())
        );
        assert_eq!(r.receivers(&labels(&[("severity", "info")])), ["chat"]);
    }

    #[test]
    fn inhibits_like_alertmanager() {
        let rule = AmInhibitRule {
            source_matchers: vec![r#"severity="critical""#.to_owned()],
            target_matchers: vec![r#"severity="warning""#.to_owned()],
            equal: vec!["slo".to_owned()],
        };
        let ih = Inhibitor::new(&[rule]).expect("inhibitor");
        let page = labels(&[("severity", "critical"), ("slo", "a")]);
        let ticket = labels(&[("severity", "warning"), ("slo", "a")]);
        let other = labels(&[("severity", "warning"), ("slo", "b")]);
        assert_eq!(ih.muted_by(&ticket, std::slice::from_ref(&page)), Some((0, 0)));
        assert_eq!(ih.muted_by(&other, std::slice::from_ref(&page)), None);
        assert_eq!(ih.muted_by(&page, std::slice::from_ref(&ticket)), None);
        // A missing label equals a missing label.
        let bare_page = labels(&[("severity", "critical")]);
        assert!(ih.muted_by(&labels(&[("severity", "warning")]), &[bare_page]).is_some());
        // Alerts matching both sides do not mute each other.
        let both = AmInhibitRule {
            source_matchers: vec![r#"team="x""#.to_owned()],
            target_matchers: vec![r#"team="x""#.to_owned()],
            equal: vec![],
        };
        let ih = Inhibitor::new(&[both]).expect("inhibitor");
        let (a, b) = (labels(&[("team", "x"), ("n", "1")]), labels(&[("team", "x"), ("n", "2")]));
        assert_eq!(ih.muted_by(&a, &[b]), None);
    }
}
