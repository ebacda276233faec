-- A metric's row is kept whole, its embedding included. The 384-dimension vector
-- takes 1.5 kB, which pushed a row past TOAST's default 2 kB target, so the vector
-- was stored out of line (pgvector's default storage) and a nearest-metric search
-- that scans the table (PostgreSQL's choice over the HNSW index for a catalog of a
-- few hundred metrics) fetched every vector from the TOAST table, ~4x the cost of
-- the scan. Rows are compressed or moved out of line only past 8 kB now, and then
-- never the vector (the other columns first: its description, labels, words).
ALTER TABLE metrics SET (toast_tuple_target = 8160);
ALTER TABLE metrics ALTER COLUMN embedding SET STORAGE PLAIN;
-- Stored vectors move into their rows (an unchanged out-of-line value would be kept
-- where it is, so each is rebuilt from its own floats: the same vector).
UPDATE metrics SET embedding = embedding::real[]::vector WHERE embedding IS NOT NULL;
