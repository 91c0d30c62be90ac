//! The web UI (placeholder until the pages land).

use std::sync::Arc;

use axum::Router;

use crate::state::AppState;

/// UI routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
}
