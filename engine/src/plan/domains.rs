//! Auto-association by domain (`--associate-by-domain`, SPEC 6): each contact a
//! row imports is associated with the company whose domain is its email's domain,
//! and the company (named after the domain) is created where none has it,
//! except for free-mail and ISP domains (`engine/data/free_email_domains.txt`) and
//! the user's own exclusions (`--exclude-domains FILE`, the same format).
//!
//! Planned in file order with the companies of the import: the companies planner
//! sees each row's domain request as it plans that row, so a company created by
//! an earlier row (by domain or by a row's own company columns) is found, and a
//! later row's company columns find the company a domain request created. A row
//! that has company columns of its own keeps its company: the request applies to
//! rows without one. Where several companies share the domain (a store whose
//! companies were imported by another identifier), no link is made:
//! `MULTIPLE_COMPANIES_WITH_THIS_DOMAIN`, a value error of the contact.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use store::{ReadSession, StoreError};

use crate::schema::{Object, PropertyId};

/// The free-mail and ISP domains shipped with the engine.
const FREE_MAIL: &str = include_str!("../../data/free_email_domains.txt");

/// The domains that never make a company: one per line, `#` comments.
#[derive(Debug, Clone, Default)]
pub struct Exclusions {
    domains: HashSet<String>,
}

impl Exclusions {
    /// The shipped list, plus the domains of `file` if given.
    pub fn load(file: Option<&Path>) -> Result<Self, String> {
        let mut domains = parse(FREE_MAIL);
        if let Some(file) = file {
            let text = std::fs::read_to_string(file)
                .map_err(|e| format!("--exclude-domains {}: {e}", file.display()))?;
            domains.extend(parse(&text));
        }
        Ok(Self { domains })
    }

    /// Whether `domain` (normalized) is excluded.
    pub fn excludes(&self, domain: &str) -> bool {
        self.domains.contains(domain)
    }
}

fn parse(text: &str) -> HashSet<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut out = String::new();
            match crate::normalize::values::domain(l, &mut out) {
                Ok(()) => out,
                Err(_) => l.to_lowercase(),
            }
        })
        .collect()
}

/// What the companies planner needs to serve domain requests.
#[derive(Debug, Clone)]
pub struct DomainLinks {
    /// The excluded domains.
    pub exclusions: std::sync::Arc<Exclusions>,
    /// The import's objects: contacts, companies.
    pub contacts: usize,
    /// See [`DomainLinks::contacts`].
    pub companies: usize,
    /// Companies' `domain` and `name` properties.
    pub domain: PropertyId,
    /// See [`DomainLinks::domain`].
    pub name: PropertyId,
    /// Contacts' `email`.
    pub email: PropertyId,
    /// Where companies share domains: how many hold each (else `None`, the domain
    /// index is one-to-one).
    pub shared: Option<std::sync::Arc<HashMap<String, u32>>>,
}

impl DomainLinks {
    /// The setup for an import of `objects`; `None` when `--associate-by-domain`
    /// cannot apply (no contacts or companies among them).
    pub fn new(
        objects: &[Object],
        exclusions: std::sync::Arc<Exclusions>,
        read: &ReadSession,
    ) -> Result<Option<Self>, StoreError> {
        let (Some(contacts), Some(companies)) = (
            objects.iter().position(|o| o.name == "contacts"),
            objects.iter().position(|o| o.name == "companies"),
        ) else {
            return Ok(None);
        };
        let co = &objects[companies];
        let (Some(domain), Some(name), Some(email)) =
            (co.property_id("domain"), co.property_id("name"), objects[contacts].property_id("email"))
        else {
            return Ok(None);
        };
        let shared = if co.property(domain).is_some_and(|p| p.shared) {
            let mut counts: HashMap<String, u32> = HashMap::new();
            read.for_each_record(&co.name, |_, view| {
                if let Some(d) = view.get(domain) {
                    *counts.entry(d.to_owned()).or_default() += 1;
                }
                true
            })?;
            Some(std::sync::Arc::new(counts))
        } else {
            None
        };
        Ok(Some(Self { exclusions, contacts, companies, domain, name, email, shared }))
    }

    /// The normalized domain of a normalized email, unless excluded.
    pub fn domain_of(&self, email: &str) -> Option<String> {
        let (_, d) = email.rsplit_once('@')?;
        let mut out = String::new();
        crate::normalize::values::domain(d, &mut out).ok()?;
        (!self.exclusions.excludes(&out)).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_holds_the_free_mail_domains_and_a_file_adds_more() {
        let shipped = Exclusions::load(None).unwrap();
        assert!(shipped.domains.len() >= 300, "{} domains", shipped.domains.len());
        for d in [
            "gmail.com",
            "outlook.com",
            "hotmail.dk",
            "yahoo.fr",
            "gmx.de",
            "web.de",
            "live.nl",
            "ziggo.nl",
            "kpnmail.nl",
        ] {
            assert!(shipped.excludes(d), "{d}");
        }
        assert!(!shipped.excludes("acme.com") && !shipped.excludes("google.com"));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("mine.txt");
        std::fs::write(&file, "# ours\n  Mail.Example.ORG \n\nærø.dk\n").unwrap();
        let mine = Exclusions::load(Some(&file)).unwrap();
        assert!(mine.excludes("mail.example.org") && mine.excludes("ærø.dk") && mine.excludes("gmail.com"));
        assert!(
            Exclusions::load(Some(&dir.path().join("missing.txt")))
                .unwrap_err()
                .contains("--exclude-domains")
        );
    }
}
