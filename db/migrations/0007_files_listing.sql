-- 0007: indexes for listing a user's files across folders by name or size (issue 13).
--
-- A folder is served by 0006's (owner, path, name) and (owner, path, created_at, id) indexes, and
-- all files by creation time by files_owner_created_idx. Sorting a user's whole tree (or a subtree)
-- by name or by size had no index: bench/file_listing.sh measured a page of 100 of one user's
-- 1,000,000 files at 1.6-2.7 s for sort=name|size (a sort of every live row) and 0.3-0.4 s for a
-- subtree of 100,000. With these two the page is an index scan that stops after the page (the
-- subtree's path is a filter on it); the size index also serves minSize/maxSize. Each index is one
-- more write per upload, so updatedAt (served by files_status_updated_idx) gets none.
CREATE INDEX IF NOT EXISTS files_live_owner_name_idx ON sluice.files (owner, name, id) WHERE status = 'available';
CREATE INDEX IF NOT EXISTS files_live_owner_size_idx ON sluice.files (owner, size, id) WHERE status = 'available';

-- No parallel workers for sluice.files. A listing whose filter PostgreSQL underestimates got a
-- parallel plan; starting the workers cost more than the whole scan: on 1,000,000 files a page
-- of tag=red&tag=blue took 100 ms with two workers and 6 ms without, a recursive minSize page
-- 190 ms and 27 ms (bench/file_listing.sh, 2 cores shared with PostgreSQL). The full-table
-- aggregates (admin stats, the root's folders) lose their parallel scan, which on two cores
-- gained little and took the core every other request needs.
ALTER TABLE sluice.files SET (parallel_workers = 0);
