//! Incident configuration: who the entity is (for field 1.x of the reports and for the clocks),
//! its bank holidays, and the architecture model that says which systems support critical or
//! important functions. One YAML (or JSON) file, given to `plumb serve --incidents` and to
//! `plumb incident --config`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::calendar::Holidays;
use crate::clock::Profile;
use crate::error::{Error, Result};

/// A person to contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Telephone.
    pub phone: String,
}

/// Another organisation by name and code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// Name.
    pub name: String,
    /// Identification code (LEI where it has one).
    pub code: String,
}

/// The financial entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    /// Legal name (field 1.5).
    pub name: String,
    /// LEI (field 1.6).
    pub lei: String,
    /// Type of financial entity (field 1.4 value, e.g. credit_institution).
    #[serde(rename = "type")]
    pub entity_type: String,
    /// Member State whose weekends and bank holidays move deadlines.
    pub member_state: String,
    /// IANA zone, when not the Member State's capital's.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Essential or important entity under NIS2 Art. 3.
    #[serde(default)]
    pub nis2_entity: bool,
    /// The competent authority disapplied the weekend rule (RTS 2025/301 Art. 5(6)).
    #[serde(default)]
    pub weekend_rule_disapplied: bool,
    /// A microenterprise (the recurring-incident rule does not apply).
    #[serde(default)]
    pub microenterprise: bool,
    /// Under the simplified ICT risk management framework of DORA Art. 16(1) (small and
    /// non-interconnected investment firms, exempted payment and e-money institutions, small
    /// IORPs and the others it lists): the recurring-incident rule does not apply either.
    #[serde(default)]
    pub simplified_framework: bool,
    /// Hours for the updated intermediate report once regular activities are recovered (RTS
    /// 2025/301 Art. 5(1)(b) says "without undue delay"; the number is the entity's policy).
    #[serde(default)]
    pub intermediate_update_hours: Option<u32>,
    /// Reporting currency (field 1.15).
    #[serde(default = "eur")]
    pub currency: String,
    /// Primary contact (fields 1.7-1.9).
    pub contact: Contact,
    /// Second contact (1.10-1.12).
    #[serde(default)]
    pub second_contact: Option<Contact>,
    /// Ultimate parent undertaking (1.13, 1.14).
    #[serde(default)]
    pub parent: Option<Party>,
    /// Entity submitting the reports, when reporting is outsourced (1.2, 1.3).
    #[serde(default)]
    pub submitting: Option<Party>,
}

fn eur() -> String {
    "EUR".into()
}

impl Entity {
    /// Whether the recurring-incident rule (RTS 2024/1772 Art. 8(2)) applies: not to
    /// microenterprises, nor to the other entities under DORA Art. 16(1).
    pub fn recurring_rule_applies(&self) -> bool {
        !(self.microenterprise || self.simplified_framework)
    }
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The entity.
    pub entity: Entity,
    /// Bank holidays by Member State.
    #[serde(default)]
    pub holidays: Holidays,
    /// Architecture model (relative to this file): criticality and dependencies.
    #[serde(default)]
    pub model: Option<PathBuf>,
    /// The authority's incident-report JSON: which IR version to write and check, and the
    /// schema file it supplies, if any.
    #[serde(default)]
    pub ir: IrSettings,
}

/// How report documents are written for the competent authority.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IrSettings {
    /// IR version: 1.2, 1.2.1 (default) or 1.3.
    #[serde(default)]
    pub version: Option<String>,
    /// A JSON Schema file from the authority (relative to the configuration file); every
    /// report is also validated against it and refused for submission when it fails.
    #[serde(default)]
    pub schema: Option<PathBuf>,
}

impl IrSettings {
    /// The version to write.
    pub fn version(&self) -> Result<crate::ir::Version> {
        self.version
            .as_deref()
            .map_or(Ok(Default::default()), crate::ir::Version::parse)
    }

    /// The authority's schema, read and compiled, if one is configured.
    pub fn schema(&self) -> Result<Option<crate::ir::schema::Schema>> {
        let Some(p) = &self.schema else {
            return Ok(None);
        };
        let bytes = std::fs::read(p).map_err(|e| Error::Parse {
            what: p.display().to_string(),
            detail: e.to_string(),
        })?;
        crate::ir::schema::Schema::parse(&bytes)
            .map(Some)
            .map_err(|e| Error::invalid(p.display().to_string(), e.to_string()))
    }
}

impl Config {
    /// Reads and checks a configuration file; a relative model path is resolved against it.
    pub fn load(path: &Path) -> Result<Config> {
        let bytes = std::fs::read(path).map_err(|e| Error::Parse {
            what: path.display().to_string(),
            detail: e.to_string(),
        })?;
        let mut c = Config::parse(&bytes, &path.display().to_string())?;
        if let Some(m) = &c.model
            && m.is_relative()
        {
            c.model = Some(path.parent().unwrap_or(Path::new(".")).join(m));
        }
        if let Some(s) = &c.ir.schema
            && s.is_relative()
        {
            c.ir.schema = Some(path.parent().unwrap_or(Path::new(".")).join(s));
        }
        // A schema that does not compile is refused now, not at the first report.
        c.ir.schema()?;
        Ok(c)
    }

    /// Parses and checks configuration bytes (YAML or JSON).
    pub fn parse(bytes: &[u8], what: &str) -> Result<Config> {
        let c: Config = yaml_serde::from_slice(bytes).map_err(|e| Error::Parse {
            what: what.into(),
            detail: e.to_string(),
        })?;
        c.holidays.validate()?;
        c.profile()?;
        c.ir.version()?;
        if !crate::report::CURRENCIES.contains(&c.entity.currency.as_str()) {
            return Err(Error::invalid(
                "entity.currency",
                format!(
                    "{:?} is not a reporting currency of field 1.15; one of: {}",
                    c.entity.currency,
                    crate::report::CURRENCIES.join(", ")
                ),
            ));
        }
        if !crate::report::ENTITY_TYPES.contains(&c.entity.entity_type.as_str()) {
            return Err(Error::invalid(
                "entity.type",
                format!(
                    "{:?} is not a type of financial entity of field 1.4; one of: {}",
                    c.entity.entity_type,
                    crate::report::ENTITY_TYPES.join(", ")
                ),
            ));
        }
        if !plumb_model::dora::lei_is_valid(&c.entity.lei) {
            return Err(Error::invalid(
                "entity.lei",
                format!(
                    "{:?} is not a valid LEI (ISO 17442: 20 characters, check digits)",
                    c.entity.lei
                ),
            ));
        }
        Ok(c)
    }

    /// The clock profile.
    pub fn profile(&self) -> Result<Profile> {
        let e = &self.entity;
        let mut p = Profile::new(&e.member_state, &e.entity_type)?;
        if let Some(z) = &e.time_zone {
            p.time_zone = z.parse().map_err(|_| {
                Error::invalid(
                    "entity.time_zone",
                    format!("{z:?} is not an IANA time zone"),
                )
            })?;
        }
        p.nis2_entity = e.nis2_entity;
        p.weekend_rule_disapplied = e.weekend_rule_disapplied;
        if let Some(h) = e.intermediate_update_hours {
            if h == 0 || h > 72 {
                return Err(Error::invalid(
                    "entity.intermediate_update_hours",
                    format!("{h} is not a reading of \"without undue delay\": give 1 to 72 hours"),
                ));
            }
            p.update_hours = i64::from(h);
        }
        Ok(p)
    }
}
