//! What dbglog knows about each event type: its name, category, level, frame role
//! and field layout. The per-type facts come from the generated [`table`];
//! the frame pairs come from the one [`FRAME_PAIRS`] table below.

use super::table::{self, EventType, KNOWN_COUNT};
use std::sync::OnceLock;

/// The debug-log category (header token) that controls an event type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    ApexCode,
    ApexProfiling,
    Callout,
    DataAccess,
    Db,
    Nba,
    System,
    Validation,
    Visualforce,
    Wave,
    Workflow,
}

impl Category {
    /// The header token, e.g. `APEX_CODE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::ApexCode => "APEX_CODE",
            Category::ApexProfiling => "APEX_PROFILING",
            Category::Callout => "CALLOUT",
            Category::DataAccess => "DATA_ACCESS",
            Category::Db => "DB",
            Category::Nba => "NBA",
            Category::System => "SYSTEM",
            Category::Validation => "VALIDATION",
            Category::Visualforce => "VISUALFORCE",
            Category::Wave => "WAVE",
            Category::Workflow => "WORKFLOW",
        }
    }
}

/// Minimum log level at which an event type is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    Error,
    Warn,
    Info,
    Debug,
    Fine,
    Finer,
    Finest,
}

impl Level {
    /// The header token, e.g. `FINEST`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
            Level::Fine => "FINE",
            Level::Finer => "FINER",
            Level::Finest => "FINEST",
        }
    }
}

/// How an event type takes part in the frame stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A leaf event.
    Leaf,
    /// Opens a frame; the index is into [`FRAME_PAIRS`].
    Open(u8),
    /// Closes a frame opened by one of the entries of pair(s) that list it.
    Close,
    /// `ENTERING_MANAGED_PKG`: a pseudo-frame that lasts until visible code runs again.
    PackageMarker,
    /// `EXCEPTION_THROWN` / `FATAL_ERROR`: the exits of unwound frames may be missing after it.
    Discontinuity,
}

/// The one table of frame pairs: an entry type and the exit types that close it.
pub const FRAME_PAIRS: &[(EventType, &[EventType])] = {
    use EventType::*;
    &[
        (ExecutionStarted, &[ExecutionFinished]),
        (CodeUnitStarted, &[CodeUnitFinished]),
        (MethodEntry, &[MethodExit]),
        (ConstructorEntry, &[ConstructorExit]),
        (SystemMethodEntry, &[SystemMethodExit]),
        (SystemConstructorEntry, &[SystemConstructorExit]),
        (SoqlExecuteBegin, &[SoqlExecuteEnd]),
        (SoslExecuteBegin, &[SoslExecuteEnd]),
        (DmlBegin, &[DmlEnd]),
        (CalloutRequest, &[CalloutResponse]),
        (QueryMoreBegin, &[QueryMoreEnd]),
        (CursorCreateBegin, &[CursorCreateEnd]),
        (CumulativeLimitUsage, &[CumulativeLimitUsageEnd]),
        (CumulativeProfilingBegin, &[CumulativeProfilingEnd]),
        (FlowStartInterviewsBegin, &[FlowStartInterviewsEnd]),
        (FlowStartInterviewBegin, &[FlowStartInterviewEnd]),
        (FlowElementBegin, &[FlowElementEnd]),
        (FlowBulkElementBegin, &[FlowBulkElementEnd]),
        (WfRuleEvalBegin, &[WfRuleEvalEnd]),
        (WfCriteriaBegin, &[WfCriteriaEnd, WfRuleNotEvaluated]),
        (VfApexCallStart, &[VfApexCallEnd]),
        (VfDeserializeViewstateBegin, &[VfDeserializeViewstateEnd]),
        (VfSerializeViewstateBegin, &[VfSerializeViewstateEnd]),
        (VfEvaluateFormulaBegin, &[VfEvaluateFormulaEnd]),
        (
            VfSerializeContinuationStateBegin,
            &[VfSerializeContinuationStateEnd],
        ),
        (
            VfDeserializeContinuationStateBegin,
            &[VfDeserializeContinuationStateEnd],
        ),
        (FormulaEvaluateBegin, &[FormulaEvaluateEnd]),
        (OrgCachePutBegin, &[OrgCachePutEnd]),
        (OrgCacheGetBegin, &[OrgCacheGetEnd]),
        (OrgCacheRemoveBegin, &[OrgCacheRemoveEnd]),
        (SessionCachePutBegin, &[SessionCachePutEnd]),
        (SessionCacheGetBegin, &[SessionCacheGetEnd]),
        (SessionCacheRemoveBegin, &[SessionCacheRemoveEnd]),
        (EventServicePubBegin, &[EventServicePubEnd]),
        (EventServiceSubBegin, &[EventServiceSubEnd]),
        (DuplicateDetectionBegin, &[DuplicateDetectionEnd]),
        (MatchEngineBegin, &[MatchEngineEnd]),
        (NbaStrategyBegin, &[NbaStrategyEnd]),
        (NbaNodeBegin, &[NbaNodeEnd]),
        (RlmConfiguratorBegin, &[RlmConfiguratorEnd]),
        (RlmPricingBegin, &[RlmPricingEnd]),
    ]
};

/// How the fields after `TYPE|` are split. The last field of an event may contain `|`
/// and continuation lines, so each type says how many fields are fixed and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Split the first line on every `|`; continuation lines join the last field.
    Split,
    /// `n` fields: the first `n - 1` are split off the front, the rest is one field.
    Head(u8),
    /// The last `n` fields are split off the end of the whole text (flow errors).
    Tail(u8),
}

struct Facts {
    roles: [Role; KNOWN_COUNT],
}

fn facts() -> &'static Facts {
    static FACTS: OnceLock<Facts> = OnceLock::new();
    FACTS.get_or_init(|| {
        let mut roles = [Role::Leaf; KNOWN_COUNT];
        for (i, (open, closes)) in FRAME_PAIRS.iter().enumerate() {
            roles[*open as usize] = Role::Open(i as u8);
            for c in closes.iter() {
                roles[*c as usize] = Role::Close;
            }
        }
        roles[EventType::EnteringManagedPkg as usize] = Role::PackageMarker;
        roles[EventType::ExceptionThrown as usize] = Role::Discontinuity;
        roles[EventType::FatalError as usize] = Role::Discontinuity;
        Facts { roles }
    })
}

/// Hash-table lookup of type names: two unaligned 8-byte loads and a multiply pick a slot,
/// one comparison confirms it. Measured faster than the generated `match` (which compares
/// a name against every same-length candidate in turn).
struct NameIndex {
    slots: Box<[u16; INDEX_SLOTS]>,
}

const INDEX_SLOTS: usize = 2048;

#[inline]
fn name_hash(name: &[u8]) -> usize {
    let n = name.len();
    let (a, b) = if n >= 8 {
        (
            u64::from_le_bytes(name[..8].try_into().unwrap()),
            u64::from_le_bytes(name[n - 8..].try_into().unwrap()),
        )
    } else {
        let mut buf = [0u8; 8];
        buf[..n].copy_from_slice(name);
        (u64::from_le_bytes(buf), 0)
    };
    let h = (a ^ b.rotate_left(29) ^ (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_mul(0xA076_1D64_78BD_642F);
    (h >> 53) as usize & (INDEX_SLOTS - 1)
}

fn name_index() -> &'static NameIndex {
    static INDEX: OnceLock<NameIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut slots = Box::new([0u16; INDEX_SLOTS]);
        for (i, name) in table::NAMES.iter().enumerate() {
            let mut h = name_hash(name.as_bytes());
            while slots[h] != 0 {
                h = (h + 1) & (INDEX_SLOTS - 1);
            }
            slots[h] = i as u16 + 1;
        }
        NameIndex { slots }
    })
}

impl EventType {
    /// Look a type name up; unknown names give [`EventType::Unknown`].
    #[inline]
    pub fn from_name(name: &[u8]) -> EventType {
        if name.is_empty() || name.len() > 64 {
            return EventType::Unknown;
        }
        let idx = name_index();
        let mut h = name_hash(name);
        loop {
            match idx.slots[h] {
                0 => return EventType::Unknown,
                s => {
                    let i = s as usize - 1;
                    if table::NAMES[i].as_bytes() == name {
                        return table::ALL[i];
                    }
                }
            }
            h = (h + 1) & (INDEX_SLOTS - 1);
        }
    }

    /// The type's name, or `None` for [`EventType::Unknown`] (whose name lives on the event).
    pub fn name(self) -> Option<&'static str> {
        table::NAMES.get(self as usize).copied()
    }

    /// The category, or `None` for unknown types.
    pub fn category(self) -> Option<Category> {
        table::CATEGORIES.get(self as usize).copied()
    }

    /// The minimum level, or `None` for unknown types.
    pub fn level(self) -> Option<Level> {
        table::LEVELS.get(self as usize).copied()
    }

    /// True for the types Salesforce never removes when it truncates a log.
    pub fn truncation_protected(self) -> bool {
        table::PROTECTED
            .get(self as usize)
            .copied()
            .unwrap_or(false)
    }

    /// The type's part in the frame stack.
    #[inline]
    pub fn role(self) -> Role {
        facts()
            .roles
            .get(self as usize)
            .copied()
            .unwrap_or(Role::Leaf)
    }

    /// For an entry type, the exit types that close it.
    pub fn closed_by(self) -> &'static [EventType] {
        match self.role() {
            Role::Open(i) => FRAME_PAIRS[i as usize].1,
            _ => &[],
        }
    }

    /// `USER_DEBUG` and its per-level variants (`USER_DEBUG_WARN`, …).
    pub fn is_user_debug(self) -> bool {
        use EventType::*;
        matches!(
            self,
            UserDebug
                | UserDebugDebug
                | UserDebugError
                | UserDebugFine
                | UserDebugFiner
                | UserDebugFinest
                | UserDebugInfo
                | UserDebugWarn
        )
    }

    /// Whether the type's last field carries free text that may span lines
    /// (format.md §3.1). Used to tell quoted text from real events.
    pub fn accepts_text(self) -> bool {
        use EventType::*;
        self.is_user_debug()
            || matches!(
                self,
                SoqlExecuteBegin
                    | SoslExecuteBegin
                    | LimitUsageForNs
                    | StaticVariableList
                    | CumulativeProfiling
                    | FatalError
                    | ExceptionThrown
                    | FlowValueAssignment
                    | WfRuleFilter
                    | FlowElementError
                    | FlowStartInterviewsError
                    | WfFormula
                    | ValidationFormula
                    | ValidationError
                    | WfFlowActionError
                    | WfFlowActionErrorDetail
                    | VfPageMessage
                    | EmailQueue
                    | StackFrameVariableList
                    | TestingLimits
                    | NamedCredentialResponseDetail
                    | CalloutRequest
                    | CalloutResponse
                    | DataweaveUserDebug
            )
    }

    /// How the type's fields are laid out.
    pub fn layout(self) -> Layout {
        use EventType::*;
        match self {
            UserDebug => Layout::Head(3),
            UserDebugDebug | UserDebugError | UserDebugFine | UserDebugFiner | UserDebugFinest
            | UserDebugInfo | UserDebugWarn => Layout::Head(2),
            SoqlExecuteBegin => Layout::Head(3),
            SoslExecuteBegin | SoqlExecuteExplain => Layout::Head(2),
            ExceptionThrown => Layout::Head(2),
            FatalError | VfPageMessage | ValidationError | WfFlowActionErrorDetail => {
                Layout::Head(1)
            }
            CalloutRequest | CalloutResponse | EmailQueue => Layout::Head(2),
            NamedCredentialRequest | NamedCredentialResponse | NamedCredentialResponseDetail => {
                Layout::Head(1)
            }
            FlowElementError | FlowStartInterviewsError => Layout::Tail(2),
            _ => Layout::Split,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_lookup_agrees_with_the_generated_match() {
        for name in table::NAMES {
            assert_eq!(
                EventType::from_name(name.as_bytes()),
                table::lookup(name.as_bytes()),
                "{name}"
            );
            assert_eq!(EventType::from_name(name.as_bytes()).name(), Some(name));
        }
        for bad in [
            "",
            "METHOD",
            "METHOD_ENTRYX",
            "method_entry",
            "X",
            "USER_DEBUG_",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        ] {
            assert_eq!(
                EventType::from_name(bad.as_bytes()),
                EventType::Unknown,
                "{bad}"
            );
        }
    }
}
