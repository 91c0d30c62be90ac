//! The register file kept in git beside the model (`register.yaml`): what the architecture
//! model does not hold. Property names are documented in docs/register.md; closed-list values
//! may be written as codes, short codes or labels ([`crate::codes`]). Unknown keys are refused,
//! so a misspelt property is an error, not a silently empty column. `tables` holds rows as the
//! package writes them (column codes), which is what `import` produces; they are added as
//! they are.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::tables::{Parameters, Row};

/// The format marker every register file starts with.
pub const FORMAT: &str = "plumbline/register/v1";

/// A register file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// The package parameters.
    pub parameters: Option<Parameters>,
    /// The entity maintaining the register (B_01.01).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<Entity>,
    /// Entities in scope (B_01.02); the maintaining entity alone when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entities: Vec<ScopeEntity>,
    /// Branches (B_01.03).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub branches: Vec<Branch>,
    /// Providers by model element id (or by their code, for providers outside the model).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub providers: BTreeMap<String, Provider>,
    /// Contracts by model element id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub contracts: BTreeMap<String, Contract>,
    /// Functions by model element id (B_06.01's columns the model lacks).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub functions: BTreeMap<String, Function>,
    /// The entity's own definitions of the scales (B_99.01), by column code or name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub definitions: BTreeMap<String, String>,
    /// Rows as the package writes them, per template; added as they are.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tables: BTreeMap<String, Vec<Row>>,
}

/// B_01.01.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    /// Legal name.
    pub name: String,
    /// Country (ISO code).
    pub country: String,
    /// Type of financial entity (`credit institutions`, `x12`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Competent authority (free text).
    pub authority: String,
    /// Date of the reporting (default: the reference date).
    #[serde(default)]
    pub reporting_date: Option<String>,
    /// Total assets (for B_01.02 when `entities` is empty).
    #[serde(default)]
    pub total_assets: Option<String>,
    /// Date it entered the register (for B_01.02 when `entities` is empty).
    #[serde(default)]
    pub added: Option<String>,
}

/// B_01.02.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeEntity {
    /// LEI.
    pub lei: String,
    /// Legal name.
    pub name: String,
    /// Country.
    pub country: String,
    /// Type of entity.
    #[serde(rename = "type")]
    pub kind: String,
    /// Position in the group (`ultimate parent`, `subsidiary`, ...).
    pub hierarchy: String,
    /// LEI of the direct parent (itself for the ultimate parent).
    pub parent: String,
    /// Last update of its information.
    pub updated: String,
    /// Date it was added to the register.
    pub added: String,
    /// Date it was removed (default 9999-12-31: still in scope).
    #[serde(default)]
    pub removed: Option<String>,
    /// Total assets in the base currency.
    #[serde(default)]
    pub total_assets: Option<String>,
}

/// B_01.03.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    /// The entity's code for the branch.
    pub code: String,
    /// LEI of its head office.
    pub head_office: String,
    /// Name.
    pub name: String,
    /// Country.
    pub country: String,
}

/// B_05.01's columns the model lacks, for a provider.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    /// Its code, for a provider outside the model (in the model: `dora:lei` or `dora:euid`).
    #[serde(default)]
    pub code: Option<String>,
    /// The code's type (`LEI`, `EUID`, ...); default LEI.
    #[serde(default)]
    pub code_type: Option<String>,
    /// Legal name, for a provider outside the model.
    #[serde(default)]
    pub name: Option<String>,
    /// Name in the Latin alphabet (default: the name).
    #[serde(default)]
    pub latin_name: Option<String>,
    /// `legal person` (default) or `individual`.
    #[serde(default)]
    pub person: Option<String>,
    /// Country of its headquarters.
    pub country: String,
    /// Total annual expense in the base currency (default: the sum of its contracts).
    #[serde(default)]
    pub annual_cost: Option<String>,
    /// Ultimate parent's code (default: itself) and its type.
    #[serde(default)]
    pub parent: Option<String>,
    /// The parent code's type; default LEI.
    #[serde(default)]
    pub parent_type: Option<String>,
}

/// A contract's register columns (B_02.01, B_02.02, B_07.01, the supply chain).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    /// Reference number (default: the model element id).
    #[serde(default)]
    pub reference: Option<String>,
    /// `standalone` (default), `overarching`, `subsequent or associated`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Reference of the overarching arrangement.
    #[serde(default)]
    pub overarching: Option<String>,
    /// Annual expense in the base currency.
    pub annual_cost: String,
    /// Start date.
    pub start: String,
    /// End date (default 9999-12-31: open-ended).
    #[serde(default)]
    pub end: Option<String>,
    /// Why it ended.
    #[serde(default)]
    pub termination_reason: Option<String>,
    /// Notice periods in days: the entity's and the provider's.
    pub notice_entity: String,
    /// The provider's notice period in days.
    pub notice_provider: String,
    /// Country of the governing law.
    pub governing_law: String,
    /// Country where the service is provided.
    pub service_country: String,
    /// Whether the provider stores data.
    pub stores_data: String,
    /// Where data is stored (default: not applicable when it stores none).
    #[serde(default)]
    pub storage_country: Option<String>,
    /// Where data is processed (default: the service country).
    #[serde(default)]
    pub processing_country: Option<String>,
    /// Sensitiveness of the data stored (default from the model's data sensitivity).
    #[serde(default)]
    pub sensitivity: Option<String>,
    /// Reliance on the service (`not significant`, `low`, `material`, `full`).
    pub reliance: String,
    /// The substitutability assessment (B_07.01), for every service of the contract.
    #[serde(default)]
    pub assessment: Option<Assessment>,
    /// Subcontractors (B_05.02), rank 2 and beyond.
    #[serde(default)]
    pub subcontractors: Vec<Subcontractor>,
}

/// B_07.01.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assessment {
    /// Substitutability.
    pub substitutability: String,
    /// Why it is not or hardly substitutable.
    #[serde(default)]
    pub reason: Option<String>,
    /// Date of the last audit of the provider.
    pub last_audit: String,
    /// Whether an exit plan exists.
    pub exit_plan: String,
    /// Possibility of reintegrating the service.
    pub reintegration: String,
    /// Impact of discontinuing the service.
    pub impact: String,
    /// Whether alternative providers were identified.
    pub alternatives: String,
    /// Which.
    #[serde(default)]
    pub alternative_providers: Option<String>,
}

/// One link of a supply chain below the direct provider.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subcontractor {
    /// Provider (model id or register key).
    pub provider: String,
    /// Rank (2 = subcontractor of the direct provider).
    pub rank: u32,
    /// The provider it subcontracts for (model id or register key; default the direct provider).
    #[serde(default)]
    pub recipient: Option<String>,
    /// ICT service type (default: every service of the contract).
    #[serde(default)]
    pub service: Option<String>,
}

/// B_06.01's columns the model lacks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Function {
    /// Licensed activity it belongs to.
    pub licensed_activity: String,
    /// Reasons for its criticality assessment.
    #[serde(default)]
    pub reasons: Option<String>,
    /// Date of the last criticality assessment.
    pub assessed: String,
    /// Impact of discontinuing it.
    pub impact: String,
}

/// Parses a register file (YAML), refusing other formats.
pub fn parse(text: &str) -> Result<RegisterFile, String> {
    let f: RegisterFile = yaml_serde::from_str(text).map_err(|e| format!("register file: {e}"))?;
    if f.format != FORMAT {
        return Err(format!(
            "register file: format {:?}; this version reads {FORMAT:?}",
            f.format
        ));
    }
    Ok(f)
}

/// A register file as YAML (what `import` writes).
pub fn to_yaml(f: &RegisterFile) -> Result<String, String> {
    yaml_serde::to_string(f).map_err(|e| e.to_string())
}
