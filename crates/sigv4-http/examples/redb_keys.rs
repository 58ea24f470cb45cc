//! A `VerifyLayer` key store backed by a database: keys, their secrets and principals in
//! a [redb](https://www.redb.org) file (a pure-Rust embedded database), looked up on each
//! request through the simple closure surface, `key_store_fn`. Rotating or revoking a key
//! is a write to the database; the next request sees it.
//!
//! ```text
//! cargo run -p sigv4-rs-http --features axum --example redb_keys -- /tmp/keys.redb
//! # then, from another terminal, with the CLI:
//! AWS_ACCESS_KEY_ID=AKIDREDBALICE AWS_SECRET_ACCESS_KEY=alice-secret \
//!   sigv4 request --service execute-api --region us-east-1 http://127.0.0.1:3000/hello
//! ```

use std::error::Error;
use std::path::Path;
use std::sync::Arc;

use axum::extract::Extension;
use axum::Router;
use redb::{Database, ReadableDatabase, TableDefinition};
use sigv4::verify::{LookupError, Verifier};
use sigv4::Credentials;
use sigv4_http::tower::{key_store_fn, KeyEntry, KeyStore, VerifiedIdentity, VerifyLayer};

/// access key id -> (secret access key, principal).
const KEYS: TableDefinition<&str, (&str, &str)> = TableDefinition::new("keys");

/// Opens (or creates) the key database at `path`.
pub fn open(path: &Path) -> Result<Arc<Database>, Box<dyn Error>> {
    let db = Database::create(path)?;
    // Create the table, so that lookups in an empty database find nothing (not an error).
    let tx = db.begin_write()?;
    tx.open_table(KEYS)?;
    tx.commit()?;
    Ok(Arc::new(db))
}

/// Adds or replaces (rotates) a key.
pub fn put_key(
    db: &Database,
    access_key_id: &str,
    secret: &str,
    principal: &str,
) -> Result<(), Box<dyn Error>> {
    let tx = db.begin_write()?;
    tx.open_table(KEYS)?
        .insert(access_key_id, (secret, principal))?;
    tx.commit()?;
    Ok(())
}

/// Removes (revokes) a key.
pub fn delete_key(db: &Database, access_key_id: &str) -> Result<(), Box<dyn Error>> {
    let tx = db.begin_write()?;
    tx.open_table(KEYS)?.remove(access_key_id)?;
    tx.commit()?;
    Ok(())
}

/// The key store: each lookup reads the database (on the blocking pool: redb's reads are
/// synchronous). A database error becomes a `LookupError` (answered `500
/// InternalError`), whose message names no secret.
pub fn key_store(db: Arc<Database>) -> impl KeyStore {
    key_store_fn(move |id: String| {
        let db = Arc::clone(&db);
        async move {
            tokio::task::spawn_blocking(move || lookup(&db, &id))
                .await
                .map_err(|e| LookupError(format!("key lookup task failed: {e}")))?
        }
    })
}

fn lookup(db: &Database, id: &str) -> Result<Option<KeyEntry>, LookupError> {
    let fail = |e: &dyn Error| LookupError(format!("key database: {e}"));
    let tx = db.begin_read().map_err(|e| fail(&e))?;
    let table = tx.open_table(KEYS).map_err(|e| fail(&e))?;
    let Some(row) = table.get(id).map_err(|e| fail(&e))? else {
        return Ok(None);
    };
    let (secret, principal) = row.value();
    Ok(Some(
        KeyEntry::new(Credentials::new(id, secret, None, None)).with_principal(principal),
    ))
}

/// The app: `GET /hello` answers who signed.
pub fn app(db: Arc<Database>) -> Result<Router, Box<dyn Error>> {
    let verify =
        VerifyLayer::new(Verifier::new("us-east-1", "execute-api")?, key_store(db)).for_axum();
    Ok(Router::new()
        .route(
            "/hello",
            axum::routing::get(|Extension(who): Extension<VerifiedIdentity>| async move {
                format!(
                    "hello {} (key {})\n",
                    who.principal.as_deref().unwrap_or("stranger"),
                    who.access_key_id
                )
            }),
        )
        .layer(verify))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "keys.redb".to_owned());
    let db = open(Path::new(&path))?;
    put_key(&db, "AKIDREDBALICE", "alice-secret", "alice")?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!(
        "listening on http://{} (keys in {path})",
        listener.local_addr()?
    );
    axum::serve(listener, app(db)?).await?;
    Ok(())
}
