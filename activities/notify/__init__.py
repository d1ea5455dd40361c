"""Push notifications to a caller's `options.notify_url`: HMAC-signed JSON, retried,
never in the regeneration's way (docs/operations.md, "Push notifications")."""
