-- Acquisition: one day of file_downloads aggregated to the hour, joined to the file metadata.
-- Reads only the day partition and the columns below; the optional projects allow-list
-- prunes the scan further because file_downloads is clustered on `project`.
-- Query parameters (named, never formatted into the text): day DATE, projects ARRAY<STRING> (empty array: every project).
WITH downloads AS (
  SELECT
    TIMESTAMP_TRUNC(timestamp, HOUR) AS hour,
    country_code,
    project,
    file.version AS version,
    file.type AS file_type,
    file.filename AS filename,
    LOWER(details.installer.name) AS installer,
    details.ci AS ci
  FROM `{downloads_table}`
  WHERE timestamp >= TIMESTAMP(@day)
    AND timestamp < TIMESTAMP(DATE_ADD(@day, INTERVAL 1 DAY))
    AND (ARRAY_LENGTH(@projects) = 0 OR project IN UNNEST(@projects))
),

-- distribution_metadata may hold a file twice (write retries): keep one row per filename,
-- the most recent upload, ties broken by size so the choice is deterministic.
file_metadata AS (
  SELECT
    filename,
    size,
    ARRAY_LENGTH(requires_dist) AS dependency_count
  FROM `{metadata_table}`
  WHERE filename IN (SELECT DISTINCT filename FROM downloads)
  QUALIFY ROW_NUMBER() OVER (PARTITION BY filename ORDER BY upload_time DESC, size DESC) = 1
)

SELECT
  d.hour,
  d.country_code,
  d.project,
  d.version,
  d.file_type,
  -- Installer family: lets users leave out mirrors and CI traffic (see README, "KPIs").
  CASE
    WHEN d.installer IS NULL THEN 'unknown'
    WHEN d.installer = 'pip' THEN 'pip'
    WHEN d.installer = 'uv' THEN 'uv'
    WHEN d.installer IN ('bandersnatch', 'z3c.pypimirror', 'pep381client', 'devpi', 'nexus',
                         'artifactory') THEN 'mirror'
    WHEN d.installer = 'browser' THEN 'browser'
    ELSE 'other_tool'
  END AS installer_family,
  COALESCE(d.ci, FALSE) AS is_ci,
  COUNT(*) AS downloads,
  COALESCE(SUM(m.size), 0) AS bytes,
  COALESCE(SUM(m.dependency_count), 0) AS dependencies,
  COUNTIF(m.filename IS NULL) AS downloads_without_metadata
FROM downloads AS d
LEFT JOIN file_metadata AS m ON m.filename = d.filename
GROUP BY hour, country_code, project, version, file_type, installer_family, is_ci
