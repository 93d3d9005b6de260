-- 026_idempotency_language: a replayed answer (Idempotency-Key) is the
-- stored one, byte for byte, and its human text is in the language of the
-- request that made it. The language is kept beside it so that the replay
-- says so in Content-Language, whatever the replaying request asks for.
-- NULL on keys stored before this migration: their answers were English.
ALTER TABLE idempotency_keys ADD COLUMN lang text
    CHECK (lang IS NULL OR lang IN ('zh-CN', 'en'));
