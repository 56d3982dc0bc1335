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
    /// Every category, in header order.
    pub const ALL: [Category; 11] = [
        Category::ApexCode,
        Category::ApexProfiling,
        Category::Callout,
        Category::DataAccess,
        Category::Db,
        Category::Nba,
        Category::System,
        Category::Validation,
        Category::Visualforce,
        Category::Wave,
        Category::Workflow,
    ];

    /// Read a header token (`APEX_CODE`).
    pub fn from_token(t: &[u8]) -> Option<Category> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str().as_bytes() == t)
    }

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
    /// Every level, coarsest first.
    pub const ALL: [Level; 7] = [
        Level::Error,
        Level::Warn,
        Level::Info,
        Level::Debug,
        Level::Fine,
        Level::Finer,
        Level::Finest,
    ];

    /// Read a header token (`FINEST`); `NONE` is no event level.
    pub fn from_token(t: &[u8]) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str().as_bytes() == t)
    }

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

/// Event types whose published level real logs contradict, with the coarsest level at
/// which the corpus shows them (see `docs/levels.md` for the evidence).
pub const LEVEL_CORRECTIONS: &[(EventType, Level)] = &[
    // Published FINEST; written with every CUMULATIVE_LIMIT_USAGE block, at APEX_PROFILING
    // INFO, DEBUG and FINE.
    (EventType::LimitUsageForNs, Level::Info),
    // Published FINE; written at SYSTEM DEBUG.
    (EventType::SystemMethodEntry, Level::Debug),
    (EventType::SystemMethodExit, Level::Debug),
    // Published FINE; written at APEX_CODE DEBUG.
    (EventType::EnteringManagedPkg, Level::Debug),
];

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

/// Each known type's part in the frame stack, computed at compile time from [`FRAME_PAIRS`].
const ROLES: [Role; KNOWN_COUNT] = {
    let mut roles = [Role::Leaf; KNOWN_COUNT];
    let mut i = 0;
    while i < FRAME_PAIRS.len() {
        let (open, closes) = FRAME_PAIRS[i];
        roles[open as usize] = Role::Open(i as u8);
        let mut k = 0;
        while k < closes.len() {
            roles[closes[k] as usize] = Role::Close;
            k += 1;
        }
        i += 1;
    }
    roles[EventType::EnteringManagedPkg as usize] = Role::PackageMarker;
    roles[EventType::ExceptionThrown as usize] = Role::Discontinuity;
    roles[EventType::FatalError as usize] = Role::Discontinuity;
    roles
};

/// For each exit type, the index in [`FRAME_PAIRS`] of the pair it closes (`u8::MAX` for
/// none). Built at compile time; building fails if an exit closed two kinds of frame.
const CLOSER: [u8; KNOWN_COUNT] = {
    let mut closer = [u8::MAX; KNOWN_COUNT];
    let mut i = 0;
    while i < FRAME_PAIRS.len() {
        let closes = FRAME_PAIRS[i].1;
        let mut k = 0;
        while k < closes.len() {
            assert!(
                closer[closes[k] as usize] == u8::MAX,
                "an exit closes one kind of frame"
            );
            closer[closes[k] as usize] = i as u8;
            k += 1;
        }
        i += 1;
    }
    closer
};

/// Hash-table lookup of type names: two unaligned 8-byte loads and a multiply pick a slot;
/// those words, the bytes 8–16 and the length confirm it (names of up to 24 bytes are fully
/// covered; only longer names compare the rest). Measured faster than the
/// generated `match` (which compares a name against every same-length candidate in turn)
/// and than a `memcmp` confirmation.
struct NameIndex {
    /// Slot → type index + 1 (0 = empty).
    slots: Box<[u16; INDEX_SLOTS]>,
    /// Per type: the first, second and last 8-byte words and the length of its name.
    keys: Vec<Key>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    first: u64,
    second: u64,
    last: u64,
    len: usize,
}

const INDEX_SLOTS: usize = 2048;

#[inline(always)]
fn name_key(name: &[u8]) -> Key {
    let n = name.len();
    let word = |b: &[u8]| {
        let mut buf = [0u8; 8];
        buf[..b.len()].copy_from_slice(b);
        u64::from_le_bytes(buf)
    };
    if n >= 16 {
        Key {
            first: u64::from_le_bytes(name[..8].try_into().unwrap()),
            second: u64::from_le_bytes(name[8..16].try_into().unwrap()),
            last: u64::from_le_bytes(name[n - 8..].try_into().unwrap()),
            len: n,
        }
    } else if n >= 8 {
        Key {
            first: u64::from_le_bytes(name[..8].try_into().unwrap()),
            second: 0,
            last: u64::from_le_bytes(name[n - 8..].try_into().unwrap()),
            len: n,
        }
    } else {
        Key {
            first: word(name),
            second: 0,
            last: 0,
            len: n,
        }
    }
}

#[inline(always)]
fn slot_of(k: Key) -> usize {
    let h = (k.first ^ k.last.rotate_left(29) ^ (k.len as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_mul(0xA076_1D64_78BD_642F);
    (h >> 53) as usize & (INDEX_SLOTS - 1)
}

fn name_index() -> &'static NameIndex {
    static INDEX: OnceLock<NameIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut slots = Box::new([0u16; INDEX_SLOTS]);
        let mut keys = Vec::with_capacity(table::NAMES.len());
        for (i, name) in table::NAMES.iter().enumerate() {
            let key = name_key(name.as_bytes());
            keys.push(key);
            let mut h = slot_of(key);
            while slots[h] != 0 {
                h = (h + 1) & (INDEX_SLOTS - 1);
            }
            slots[h] = i as u16 + 1;
        }
        NameIndex { slots, keys }
    })
}

impl EventType {
    /// Look a type name up; unknown names give [`EventType::Unknown`].
    #[inline(always)]
    pub fn from_name(name: &[u8]) -> EventType {
        if name.is_empty() || name.len() > 64 {
            return EventType::Unknown;
        }
        let idx = name_index();
        let key = name_key(name);
        let mut h = slot_of(key);
        loop {
            match idx.slots[h] {
                0 => return EventType::Unknown,
                s => {
                    let i = s as usize - 1;
                    if idx.keys[i] == key
                        && (key.len <= 24
                            || table::NAMES[i].as_bytes()[16..key.len - 8] == name[16..key.len - 8])
                    {
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

    /// The minimum level at which Salesforce writes the type, or `None` for unknown types:
    /// the published level ([`published_level`](Self::published_level)) except where real
    /// logs prove it wrong ([`LEVEL_CORRECTIONS`], evidence in `docs/levels.md`).
    pub fn level(self) -> Option<Level> {
        LEVEL_CORRECTIONS
            .iter()
            .find(|(t, _)| *t == self)
            .map(|&(_, l)| l)
            .or_else(|| self.published_level())
    }

    /// The level the catalogue (`events.tsv`, Salesforce's table) publishes.
    pub fn published_level(self) -> Option<Level> {
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
        ROLES.get(self as usize).copied().unwrap_or(Role::Leaf)
    }

    /// True if this exit type closes frames opened by `entry` (one table lookup).
    #[inline]
    pub fn closes(self, entry: EventType) -> bool {
        match (CLOSER.get(self as usize), entry.role()) {
            (Some(&c), Role::Open(i)) => c == i,
            _ => false,
        }
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

    /// Whether the type's text is free text written by user code, which can quote log
    /// lines (a log pasted into `System.debug`): `USER_DEBUG`, its per-level variants and
    /// `DATAWEAVE_USER_DEBUG`. Only such text keeps lines that look like events (with an
    /// unknown type or a clock that runs backwards) or like a header; every other type's
    /// continuation text ends at the next event head.
    pub fn quotes_log_lines(self) -> bool {
        self.is_user_debug() || self == EventType::DataweaveUserDebug
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

    #[test]
    fn a_name_with_any_one_byte_changed_is_not_that_type() {
        for name in table::NAMES {
            for i in 0..name.len() {
                let mut b = name.as_bytes().to_vec();
                b[i] = if b[i] == b'_' { b'X' } else { b'_' };
                assert_eq!(
                    EventType::from_name(&b),
                    table::lookup(&b),
                    "{}",
                    String::from_utf8_lossy(&b)
                );
            }
        }
    }

    #[test]
    fn closes_agrees_with_the_pair_table() {
        for &entry in table::ALL.iter() {
            for &exit in table::ALL.iter() {
                assert_eq!(
                    exit.closes(entry),
                    entry.closed_by().contains(&exit),
                    "{entry:?} {exit:?}"
                );
            }
        }
    }
}
