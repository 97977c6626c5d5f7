-- Required object 2: every download of the days being built, with the time since the
-- previous download of the same project, and whether the file is gzipped.
-- * The previous download is looked for on the same UTC day and the day before only, so a
--   day is computed from two partitions and never changes once built:
--   seconds_since_previous is NULL when the project had no download since the start of
--   the previous day.
-- * Equal timestamps are ordered by filename then url: the second of two simultaneous
--   downloads gets 0 seconds.
-- * is_gzipped: the file name ends with .gz (which covers .tar.gz) or .tgz, case-insensitive;
--   .whl, .zip, .egg, .exe, .tar.bz2 and the rest are not gzip streams.
-- Query parameters (named, never formatted into the text): first_day DATE, last_day DATE,
-- projects ARRAY<STRING> (the allow-list of the run; empty array: every project).
WITH with_previous AS (
  SELECT
    timestamp,
    country_code,
    project,
    file.filename AS filename,
    file.version AS version,
    file.type AS file_type,
    url,
    LAG(timestamp) OVER (PARTITION BY project ORDER BY timestamp, file.filename, url)
      AS previous
  FROM `{downloads_table}`
  WHERE timestamp >= TIMESTAMP(DATE_SUB(@first_day, INTERVAL 1 DAY))
    AND timestamp < TIMESTAMP(DATE_ADD(@last_day, INTERVAL 1 DAY))
    AND (ARRAY_LENGTH(@projects) = 0 OR project IN UNNEST(@projects))
),

bounded AS (
  SELECT
    timestamp,
    country_code,
    project,
    filename,
    version,
    file_type,
    url,
    IF(previous >= TIMESTAMP(DATE_SUB(DATE(timestamp), INTERVAL 1 DAY)), previous, NULL)
      AS previous_download_at
  FROM with_previous
)

SELECT
  timestamp,
  DATE(timestamp) AS day,
  country_code,
  project,
  filename,
  version,
  file_type,
  url,
  previous_download_at,
  TIMESTAMP_DIFF(timestamp, previous_download_at, MICROSECOND) / 1000000
    AS seconds_since_previous,
  ENDS_WITH(LOWER(filename), '.gz') OR ENDS_WITH(LOWER(filename), '.tgz') AS is_gzipped
FROM bounded
WHERE timestamp >= TIMESTAMP(@first_day)
