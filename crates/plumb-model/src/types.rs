//! The ArchiMate 3.2 concept types: 60 element types, the two junctions, and the 11
//! relationship types, with their spellings in the exchange format and in Archi's CSV.

use serde::{Deserialize, Serialize};

/// The layer or aspect an element belongs to (for views and checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Layer {
    /// Motivation elements.
    Motivation,
    /// Strategy elements.
    Strategy,
    /// Business layer.
    Business,
    /// Application layer.
    Application,
    /// Technology layer.
    Technology,
    /// Physical elements.
    Physical,
    /// Implementation and migration.
    Implementation,
    /// Grouping, Location and junctions.
    Other,
}

macro_rules! element_types {
    ($( $name:ident : $layer:ident ),* $(,)?) => {
        /// An ArchiMate 3.2 element type (junctions included).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum ElementType { $( #[allow(missing_docs)] $name, )* }

        impl ElementType {
            /// Every element type.
            pub const ALL: &'static [ElementType] = &[ $( ElementType::$name, )* ];

            /// The exchange-format spelling (`xsi:type`).
            pub fn name(self) -> &'static str {
                match self { $( ElementType::$name => stringify!($name), )* }
            }

            /// Its layer.
            pub fn layer(self) -> Layer {
                match self { $( ElementType::$name => Layer::$layer, )* }
            }
        }
    };
}

element_types! {
    Stakeholder: Motivation, Driver: Motivation, Assessment: Motivation, Goal: Motivation,
    Outcome: Motivation, Principle: Motivation, Requirement: Motivation, Constraint: Motivation,
    Meaning: Motivation, Value: Motivation,
    Resource: Strategy, Capability: Strategy, ValueStream: Strategy, CourseOfAction: Strategy,
    BusinessActor: Business, BusinessRole: Business, BusinessCollaboration: Business,
    BusinessInterface: Business, BusinessProcess: Business, BusinessFunction: Business,
    BusinessInteraction: Business, BusinessEvent: Business, BusinessService: Business,
    BusinessObject: Business, Contract: Business, Representation: Business, Product: Business,
    ApplicationComponent: Application, ApplicationCollaboration: Application,
    ApplicationInterface: Application, ApplicationFunction: Application,
    ApplicationInteraction: Application, ApplicationProcess: Application,
    ApplicationEvent: Application, ApplicationService: Application, DataObject: Application,
    Node: Technology, Device: Technology, SystemSoftware: Technology,
    TechnologyCollaboration: Technology, TechnologyInterface: Technology, Path: Technology,
    CommunicationNetwork: Technology, TechnologyFunction: Technology,
    TechnologyProcess: Technology, TechnologyInteraction: Technology,
    TechnologyEvent: Technology, TechnologyService: Technology, Artifact: Technology,
    Equipment: Physical, Facility: Physical, DistributionNetwork: Physical, Material: Physical,
    WorkPackage: Implementation, Deliverable: Implementation, ImplementationEvent: Implementation,
    Plateau: Implementation, Gap: Implementation,
    Grouping: Other, Location: Other, AndJunction: Other, OrJunction: Other,
}

impl ElementType {
    /// Parses the exchange-format spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.name() == s)
    }

    /// The concept name in the relationship table (both junctions are `Junction`).
    pub fn rule_name(self) -> &'static str {
        match self {
            ElementType::AndJunction | ElementType::OrJunction => "Junction",
            t => t.name(),
        }
    }

    /// Whether it is a junction.
    pub fn is_junction(self) -> bool {
        matches!(self, ElementType::AndJunction | ElementType::OrJunction)
    }
}

/// An ArchiMate relationship type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RelType {
    /// Whole made of parts (structural).
    Composition,
    /// Whole grouping parts (structural).
    Aggregation,
    /// Active structure assigned to behaviour (structural).
    Assignment,
    /// Realises a more abstract concept (structural).
    Realization,
    /// Provides functionality to (dependency).
    Serving,
    /// Behaviour reads or writes passive structure (dependency).
    Access,
    /// Affects motivation elements (dependency).
    Influence,
    /// Causal order (dynamic).
    Triggering,
    /// Transfer (dynamic).
    Flow,
    /// Is a kind of.
    Specialization,
    /// Unspecified link.
    Association,
}

impl RelType {
    /// Every relationship type.
    pub const ALL: [RelType; 11] = [
        RelType::Composition,
        RelType::Aggregation,
        RelType::Assignment,
        RelType::Realization,
        RelType::Serving,
        RelType::Access,
        RelType::Influence,
        RelType::Triggering,
        RelType::Flow,
        RelType::Specialization,
        RelType::Association,
    ];

    /// The exchange-format spelling.
    pub fn name(self) -> &'static str {
        match self {
            RelType::Composition => "Composition",
            RelType::Aggregation => "Aggregation",
            RelType::Assignment => "Assignment",
            RelType::Realization => "Realization",
            RelType::Serving => "Serving",
            RelType::Access => "Access",
            RelType::Influence => "Influence",
            RelType::Triggering => "Triggering",
            RelType::Flow => "Flow",
            RelType::Specialization => "Specialization",
            RelType::Association => "Association",
        }
    }

    /// The letter in the relationship table.
    pub fn letter(self) -> char {
        match self {
            RelType::Access => 'a',
            RelType::Composition => 'c',
            RelType::Flow => 'f',
            RelType::Aggregation => 'g',
            RelType::Assignment => 'i',
            RelType::Influence => 'n',
            RelType::Association => 'o',
            RelType::Realization => 'r',
            RelType::Specialization => 's',
            RelType::Triggering => 't',
            RelType::Serving => 'v',
        }
    }

    /// Parses the exchange spelling or Archi's `...Relationship` spelling.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.strip_suffix("Relationship").unwrap_or(s);
        Self::ALL.iter().copied().find(|t| t.name() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixty_elements_two_junctions_eleven_relationships() {
        assert_eq!(ElementType::ALL.len(), 62);
        assert_eq!(
            ElementType::ALL.iter().filter(|t| t.is_junction()).count(),
            2
        );
        assert_eq!(RelType::ALL.len(), 11);
        assert_eq!(
            RelType::parse("ServingRelationship"),
            Some(RelType::Serving)
        );
        assert_eq!(
            ElementType::parse("Node").unwrap().layer(),
            Layer::Technology
        );
        assert_eq!(ElementType::parse("Network"), None, "an ArchiMate 2 name");
    }
}
