-- Required object 2: every download of the window with the time since the previous
-- download of the same project, and whether the file is gzipped.
-- * seconds_since_previous is NULL for the first download of a project in the window
--   (the window bounds the look-back, like every KPI of the dashboard).
-- * Equal timestamps are ordered by filename then url: the second of two simultaneous
--   downloads gets 0 seconds.
-- * is_gzipped: the file name ends with .gz (which covers .tar.gz) or .tgz, case-insensitive;
--   .whl, .zip, .egg, .exe, .tar.bz2 and the rest are not gzip streams.
-- Query parameters (named, never formatted into the text): window_start DATE, window_end DATE.
SELECT
  timestamp,
  DATE(timestamp) AS day,
  country_code,
  project,
  file.filename AS filename,
  file.version AS version,
  file.type AS file_type,
  url,
  LAG(timestamp) OVER by_project AS previous_download_at,
  TIMESTAMP_DIFF(timestamp, LAG(timestamp) OVER by_project, MICROSECOND) / 1000000
    AS seconds_since_previous,
  ENDS_WITH(LOWER(file.filename), '.gz') OR ENDS_WITH(LOWER(file.filename), '.tgz')
    AS is_gzipped
FROM `{downloads_table}`
WHERE timestamp >= TIMESTAMP(@window_start)
  AND timestamp < TIMESTAMP(DATE_ADD(@window_end, INTERVAL 1 DAY))
WINDOW by_project AS (PARTITION BY project ORDER BY timestamp, file.filename, url)
