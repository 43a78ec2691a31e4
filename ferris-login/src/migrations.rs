//! Keeping databases migrated before the library split working: migration 20261202000002
//! once also created the demo's `messages` table. It now only adds the session's network (the
//! demo creates its table itself, `IF NOT EXISTS`), so a database that applied the old file
//! has its record brought up to date instead of failing sqlx's checksum check. Nothing in the
//! schema changes.

use sqlx::PgConnection;

/// The split migration's version.
const VERSION: i64 = 20261202000002;
/// SHA-384 of the file as it was before the split.
const OLD_CHECKSUM: &str = "2bbed0b63e3f88f4886dd740715c4da99a3b062523b9597f9922db1856da82ed6bfacb0eb98feb95c906ca3890f2e7b1";

/// Rewrites the old record of [`VERSION`] to the current file's checksum and description;
/// does nothing on a new database or one already repaired.
pub(crate) async fn repair_split_migration(conn: &mut PgConnection) -> anyhow::Result<()> {
    let Some(current) = crate::database::library_migration(VERSION) else {
        return Ok(());
    };
    let old = hex_decode(OLD_CHECKSUM);
    let table: Option<String> =
        sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations')::text")
            .fetch_one(&mut *conn)
            .await?;
    if table.is_none() {
        return Ok(());
    }
    let repaired = sqlx::query(
        "UPDATE _sqlx_migrations SET checksum = $1, description = $2 \
         WHERE version = $3 AND checksum = $4",
    )
    .bind(current.checksum.as_ref())
    .bind(current.description.as_ref())
    .bind(VERSION)
    .bind(old)
    .execute(&mut *conn)
    .await?;
    if repaired.rows_affected() > 0 {
        tracing::info!(version = VERSION, "migration record updated after the library split");
    }
    Ok(())
}

fn hex_decode(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_old_checksum_is_a_sha384() {
        assert_eq!(hex_decode(OLD_CHECKSUM).len(), 48);
    }

    #[test]
    fn the_current_file_differs_from_the_old_one() {
        let current = crate::database::library_migration(VERSION).expect("the split migration");
        assert_ne!(current.checksum.as_ref(), hex_decode(OLD_CHECKSUM).as_slice());
        assert_eq!(current.description, "session network");
    }
}
