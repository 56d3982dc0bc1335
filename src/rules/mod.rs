//! The known-error catalogue (placeholder; see issue "analyze"/"scan").
