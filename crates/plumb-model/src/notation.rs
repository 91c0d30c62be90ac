//! ArchiMate's box notation for elements, as the specification draws it: the outline tells the
//! aspect (square corners for structure, rounded corners for behaviour, cut corners for
//! motivation) and a small icon in the top-right corner tells the type (a stick figure for an
//! actor, an arrow for a process, a 3-D box for a node, ...). Junctions are dots. Both the
//! architect's own views (`diagram`) and the generated overview (`svg`) draw elements with it,
//! so a reader who knows ArchiMate recognises each element without reading its type.

use crate::types::{ElementType, Layer};

/// What an element's outline says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aspect {
    /// Active or passive structure (and the physical, location and grouping elements):
    /// square corners.
    Structure,
    /// Behaviour (processes, functions, interactions, events, services, and the strategy and
    /// implementation behaviour): rounded corners.
    Behaviour,
    /// Motivation elements: cut corners.
    Motivation,
    /// A junction: a small circle, filled for "and", hollow for "or".
    Junction,
}

/// The aspect of an element type.
pub fn aspect(t: ElementType) -> Aspect {
    use ElementType as E;
    if t.is_junction() {
        return Aspect::Junction;
    }
    if t.layer() == Layer::Motivation {
        return Aspect::Motivation;
    }
    match t {
        E::BusinessProcess
        | E::BusinessFunction
        | E::BusinessInteraction
        | E::BusinessEvent
        | E::BusinessService
        | E::ApplicationFunction
        | E::ApplicationInteraction
        | E::ApplicationProcess
        | E::ApplicationEvent
        | E::ApplicationService
        | E::TechnologyFunction
        | E::TechnologyProcess
        | E::TechnologyInteraction
        | E::TechnologyEvent
        | E::TechnologyService
        | E::Capability
        | E::ValueStream
        | E::CourseOfAction
        | E::WorkPackage
        | E::ImplementationEvent => Aspect::Behaviour,
        _ => Aspect::Structure,
    }
}

/// The outline of an element box at `(x, y, w, h)`; `attrs` (fill, stroke, dashes) are added
/// to the shape as they are.
pub fn outline(t: ElementType, (x, y, w, h): (f64, f64, f64, f64), attrs: &str) -> String {
    match aspect(t) {
        Aspect::Structure => format!(
            "<rect data-shape=\"structure\" x=\"{x:.0}\" y=\"{y:.0}\" width=\"{w:.0}\" height=\"{h:.0}\" {attrs}/>"
        ),
        Aspect::Behaviour => format!(
            "<rect data-shape=\"behaviour\" x=\"{x:.0}\" y=\"{y:.0}\" width=\"{w:.0}\" height=\"{h:.0}\" rx=\"10\" {attrs}/>"
        ),
        Aspect::Motivation => {
            let c = 8.0_f64.min(w / 4.0).min(h / 4.0);
            let p = [
                (x + c, y),
                (x + w - c, y),
                (x + w, y + c),
                (x + w, y + h - c),
                (x + w - c, y + h),
                (x + c, y + h),
                (x, y + h - c),
                (x, y + c),
            ];
            let points: Vec<String> = p.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
            format!(
                "<polygon data-shape=\"motivation\" points=\"{}\" {attrs}/>",
                points.join(" ")
            )
        }
        Aspect::Junction => {
            let r = (w.min(h) / 2.0).clamp(3.0, 8.0);
            let fill = if t == ElementType::OrJunction {
                "#fff"
            } else {
                "#333"
            };
            format!(
                "<circle data-shape=\"junction\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"{r:.1}\" fill=\"{fill}\" stroke=\"#333\"/>",
                x + w / 2.0,
                y + h / 2.0
            )
        }
    }
}

/// The type icon for a box whose top-right corner is at `(right, top)`: a group of simple
/// strokes in a 16 × 14 area, marked `data-icon` with the type's name. Junctions and
/// groupings have none (their outline is the notation).
pub fn icon(t: ElementType, right: f64, top: f64) -> String {
    let Some(d) = glyph(t) else {
        return String::new();
    };
    format!(
        "<g data-icon=\"{}\" transform=\"translate({:.1},{:.1})\" fill=\"none\" stroke=\"#333\" stroke-width=\"1\">{d}</g>",
        t.name(),
        right - 20.0,
        top + 4.0
    )
}

/// The strokes of each type's icon, in a 16 × 14 box (SVG path data, circles and lines).
fn glyph(t: ElementType) -> Option<&'static str> {
    use ElementType as E;
    Some(match t {
        E::BusinessActor => {
            "<circle cx=\"8\" cy=\"2.5\" r=\"2.5\"/><path d=\"M8,5 V9 M3,6.5 H13 M8,9 L4.5,13.5 M8,9 L11.5,13.5\"/>"
        }
        E::BusinessRole | E::Stakeholder => {
            "<path d=\"M4,2 H12 A3,5 0 0 1 12,12 H4 A3,5 0 0 1 4,2 Z\"/><ellipse cx=\"12\" cy=\"7\" rx=\"3\" ry=\"5\"/>"
        }
        E::BusinessCollaboration | E::ApplicationCollaboration | E::TechnologyCollaboration => {
            "<circle cx=\"5.5\" cy=\"7\" r=\"5\"/><circle cx=\"10.5\" cy=\"7\" r=\"5\"/>"
        }
        E::BusinessInterface | E::ApplicationInterface | E::TechnologyInterface => {
            "<circle cx=\"11\" cy=\"7\" r=\"4\"/><path d=\"M1,7 H7\"/>"
        }
        E::BusinessProcess | E::ApplicationProcess | E::TechnologyProcess => {
            "<path d=\"M1,5 H9 V2 L15,7 L9,12 V9 H1 Z\"/>"
        }
        E::BusinessFunction | E::ApplicationFunction | E::TechnologyFunction => {
            "<path d=\"M2,4 L8,1 L14,4 V13 L8,10 L2,13 Z\"/>"
        }
        E::BusinessInteraction | E::ApplicationInteraction | E::TechnologyInteraction => {
            "<path d=\"M7,2 A5,5 0 0 0 7,12 Z M9,2 A5,5 0 0 1 9,12 Z\"/>"
        }
        E::BusinessEvent | E::ApplicationEvent | E::TechnologyEvent | E::ImplementationEvent => {
            "<path d=\"M1,2 H11 A4,5 0 0 1 11,12 H1 L5,7 Z\"/>"
        }
        E::BusinessService | E::ApplicationService | E::TechnologyService => {
            "<rect x=\"1\" y=\"3\" width=\"15\" height=\"8\" rx=\"4\"/>"
        }
        E::BusinessObject | E::DataObject => {
            "<rect x=\"1\" y=\"2\" width=\"15\" height=\"10\"/><path d=\"M1,5 H16\"/>"
        }
        E::Contract => {
            "<rect x=\"1\" y=\"2\" width=\"15\" height=\"10\"/><path d=\"M1,5 H16 M1,8.5 H16\"/>"
        }
        E::Representation | E::Deliverable => "<path d=\"M1,2 H16 V11 Q12,8 8.5,11 T1,11 Z\"/>",
        E::Product => "<rect x=\"1\" y=\"2\" width=\"15\" height=\"10\"/><path d=\"M1,5 H8 V2\"/>",
        E::ApplicationComponent => {
            "<rect x=\"4\" y=\"1\" width=\"12\" height=\"12\"/><rect x=\"1\" y=\"3\" width=\"6\" height=\"3\" fill=\"#fff\"/><rect x=\"1\" y=\"8\" width=\"6\" height=\"3\" fill=\"#fff\"/>"
        }
        E::Node => "<path d=\"M1,4 H12 V13 H1 Z M1,4 L4,1 H15 L12,4 M12,13 L15,10 V1\"/>",
        E::Device => {
            "<rect x=\"2\" y=\"1\" width=\"13\" height=\"8\" rx=\"1\"/><path d=\"M5,13 L7,9 H10 L12,13 Z\"/>"
        }
        E::SystemSoftware => {
            "<circle cx=\"9.5\" cy=\"6\" r=\"5\"/><circle cx=\"6.5\" cy=\"8\" r=\"5\"/>"
        }
        E::CommunicationNetwork => {
            "<path d=\"M3,11 L6,3 H14 L11,11 Z\"/><circle cx=\"3\" cy=\"11\" r=\"1.3\" fill=\"#333\"/><circle cx=\"6\" cy=\"3\" r=\"1.3\" fill=\"#333\"/><circle cx=\"14\" cy=\"3\" r=\"1.3\" fill=\"#333\"/><circle cx=\"11\" cy=\"11\" r=\"1.3\" fill=\"#333\"/>"
        }
        E::Path => {
            "<path d=\"M3,7 H13\" stroke-dasharray=\"2,2\"/><path d=\"M4,4 L1,7 L4,10 M12,4 L15,7 L12,10\"/>"
        }
        E::Artifact => "<path d=\"M3,1 H10 L14,5 V13 H3 Z M10,1 V5 H14\"/>",
        E::Equipment => "<circle cx=\"6\" cy=\"9\" r=\"4\"/><circle cx=\"12\" cy=\"4\" r=\"2.5\"/>",
        E::Facility => "<path d=\"M1,13 V2 H4 V8 L8,5 V8 L12,5 V8 L16,5 V13 Z\"/>",
        E::DistributionNetwork => {
            "<path d=\"M2,5 H14 M2,9 H14 M4,2 L1,5 L4,8 M12,6 L15,9 L12,12\"/>"
        }
        E::Material => "<path d=\"M4,2 H12 L15,7 L12,12 H4 L1,7 Z\"/>",
        E::Driver => {
            "<circle cx=\"8\" cy=\"7\" r=\"5.5\"/><path d=\"M8,1 V13 M2,7 H14 M4,3 L12,11 M12,3 L4,11\"/>"
        }
        E::Assessment => "<circle cx=\"6.5\" cy=\"6\" r=\"4.5\"/><path d=\"M10,9.5 L14.5,14\"/>",
        E::Goal => {
            "<circle cx=\"8\" cy=\"7\" r=\"6\"/><circle cx=\"8\" cy=\"7\" r=\"3.5\"/><circle cx=\"8\" cy=\"7\" r=\"1\" fill=\"#333\"/>"
        }
        E::Outcome => {
            "<circle cx=\"7\" cy=\"8\" r=\"5.5\"/><circle cx=\"7\" cy=\"8\" r=\"3\"/><path d=\"M7,8 L15,1 M12,1 H15 V4\"/>"
        }
        E::Principle => {
            "<rect x=\"3\" y=\"1\" width=\"11\" height=\"12\"/><path d=\"M8.5,3 V8.5\"/><circle cx=\"8.5\" cy=\"11\" r=\"0.8\" fill=\"#333\"/>"
        }
        E::Requirement => "<path d=\"M5,2 H16 L12,12 H1 Z\"/>",
        E::Constraint => "<path d=\"M5,2 H16 L12,12 H1 Z M8,2 L4,12\"/>",
        E::Meaning => {
            "<path d=\"M4,12 A3,3 0 0 1 3,6 A4,4 0 0 1 10,3 A3.5,3.5 0 0 1 14,9 A3,3 0 0 1 11,12 Z\"/>"
        }
        E::Value => "<ellipse cx=\"8.5\" cy=\"7\" rx=\"7.5\" ry=\"4.5\"/>",
        E::Resource => {
            "<rect x=\"1\" y=\"4\" width=\"12\" height=\"7\" rx=\"2\"/><path d=\"M13,6 H15 V9 H13 M4,6 V9 M7,6 V9 M10,6 V9\"/>"
        }
        E::Capability => "<path d=\"M1,13 H15 V1 H10 V5 H6 V9 H1 Z\"/>",
        E::ValueStream => "<path d=\"M1,3 H11 L15,7 L11,11 H1 L5,7 Z\"/>",
        E::CourseOfAction => {
            "<circle cx=\"10\" cy=\"5\" r=\"4.5\"/><circle cx=\"10\" cy=\"5\" r=\"2\"/><path d=\"M1,13 Q2,6 8,6 M6,4 L8,6 L6,8\"/>"
        }
        E::WorkPackage => "<path d=\"M13,5 A5.5,5.5 0 1 0 14,9 M10,4 L13,5 L14,2\"/>",
        E::Plateau => "<path d=\"M5,3 H16 M3,7 H14 M1,11 H12\"/>",
        E::Gap => "<circle cx=\"8\" cy=\"7\" r=\"5.5\"/><path d=\"M1,5 H15 M1,9 H15\"/>",
        E::Location => {
            "<path d=\"M8,14 L3.8,7.5 A5,5 0 1 1 12.2,7.5 Z\"/><circle cx=\"8\" cy=\"5\" r=\"1.6\"/>"
        }
        E::Grouping | E::AndJunction | E::OrJunction => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_its_outline_and_every_drawn_type_its_own_icon() {
        for &t in ElementType::ALL {
            let o = outline(t, (10.0, 20.0, 120.0, 55.0), "fill=\"#fff\"");
            let want = match aspect(t) {
                Aspect::Structure => "data-shape=\"structure\"",
                Aspect::Behaviour => "data-shape=\"behaviour\"",
                Aspect::Motivation => "data-shape=\"motivation\"",
                Aspect::Junction => "data-shape=\"junction\"",
            };
            assert!(o.contains(want), "{t:?}: {o}");
            let i = icon(t, 130.0, 20.0);
            if matches!(
                t,
                ElementType::Grouping | ElementType::AndJunction | ElementType::OrJunction
            ) {
                assert!(i.is_empty(), "{t:?}");
            } else {
                assert!(
                    i.contains(&format!("data-icon=\"{}\"", t.name())),
                    "{t:?}: {i}"
                );
                // In the box's top-right corner, inside the box.
                assert!(i.contains("translate(110.0,24.0)"), "{t:?}: {i}");
            }
        }
    }

    #[test]
    fn aspects_follow_the_specification() {
        assert_eq!(aspect(ElementType::BusinessActor), Aspect::Structure);
        assert_eq!(aspect(ElementType::DataObject), Aspect::Structure);
        assert_eq!(aspect(ElementType::Node), Aspect::Structure);
        assert_eq!(aspect(ElementType::ApplicationService), Aspect::Behaviour);
        assert_eq!(aspect(ElementType::BusinessEvent), Aspect::Behaviour);
        assert_eq!(aspect(ElementType::Capability), Aspect::Behaviour);
        assert_eq!(aspect(ElementType::WorkPackage), Aspect::Behaviour);
        assert_eq!(aspect(ElementType::Requirement), Aspect::Motivation);
        assert_eq!(aspect(ElementType::Stakeholder), Aspect::Motivation);
        assert_eq!(aspect(ElementType::OrJunction), Aspect::Junction);
        // The motivation outline cuts all four corners: eight points.
        let o = outline(ElementType::Goal, (0.0, 0.0, 100.0, 40.0), "");
        let points = o
            .split("points=\"")
            .nth(1)
            .and_then(|s| s.split('"').next());
        assert_eq!(points.map(|p| p.split(' ').count()), Some(8), "{o}");
        // An "or" junction is hollow, an "and" junction filled.
        assert!(
            outline(ElementType::OrJunction, (0.0, 0.0, 14.0, 14.0), "").contains("fill=\"#fff\"")
        );
        assert!(
            outline(ElementType::AndJunction, (0.0, 0.0, 14.0, 14.0), "").contains("fill=\"#333\"")
        );
    }

    #[test]
    fn icons_are_distinct_where_the_notation_distinguishes_types() {
        // Types of one layer that the notation tells apart have different icons.
        let apps = [
            ElementType::ApplicationComponent,
            ElementType::ApplicationInterface,
            ElementType::ApplicationFunction,
            ElementType::ApplicationProcess,
            ElementType::ApplicationEvent,
            ElementType::ApplicationService,
            ElementType::DataObject,
            ElementType::ApplicationCollaboration,
            ElementType::ApplicationInteraction,
        ];
        let glyphs: std::collections::HashSet<_> = apps.iter().filter_map(|t| glyph(*t)).collect();
        assert_eq!(glyphs.len(), apps.len());
    }
}
