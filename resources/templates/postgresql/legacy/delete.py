"""Delete (legacy mode, PostgreSQL): remove a user from the legacy `users` table.

The platform calls it on deletion from the admin dashboard or the management API, with the id
*without* the platform's prefix: "legacy|42" (the user_id Login returned) or just "42".
  callback(None)                 deleted, or there was nothing to delete
  callback(Exception(message))   not one of our ids, or the store could not be written
"""


def delete_user(user_id, callback):
    legacy_id = str(user_id).rpartition("|")[2].strip()
    if not legacy_id.isdigit():
        return callback(Exception(f"Not a legacy user id: {user_id}"))
    try:
        db.execute(text("DELETE FROM users WHERE id = :id"), {"id": int(legacy_id)})
    except Exception as error:
        log.error("delete_user: could not delete from the users table: %s", error)
        return callback(Exception("The user could not be deleted."))
    return callback(None)
