/* Filters the embedded cube and redraws the tiles and charts of the PyPI downloads report.
 * Definitions mirror helpers.transform: zero buckets count, means of bytes and dependencies
 * are per download with metadata, weekday weight = mean per occurrence / sum of the means. */
(function () {
  "use strict";

  var DAY_MS = 86400000;
  var METRICS = ["downloads", "bytes", "dependencies"];
  var WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
  var BYTE_UNITS = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
  var BREAKDOWN_BARS = 15;
  var MIRROR = 1;
  var CI = 2;

  var figures = JSON.parse(document.getElementById("report-figures").textContent);
  var data, dims, leaves, rows, hours, days, startMs, calendar;
  var renders = 0;

  var controls = {
    country: document.getElementById("filter-country"),
    project: document.getElementById("filter-project"),
    version: document.getElementById("filter-version"),
    mirrors: document.getElementById("exclude-mirrors"),
    ci: document.getElementById("exclude-ci"),
    granularity: document.getElementById("granularity"),
    metric: document.getElementById("timeseries-metric")
  };

  function pad(value) {
    return value < 10 ? "0" + value : String(value);
  }

  function isoDate(ms) {
    var date = new Date(ms);
    return date.getUTCFullYear() + "-" + pad(date.getUTCMonth() + 1) + "-" + pad(date.getUTCDate());
  }

  function buildCalendar() {
    var dayLabels = [];
    var weekday = [];
    var weekOfDay = [];
    var weekLabels = [];
    for (var d = 0; d < days; d++) {
      var ms = startMs + d * DAY_MS;
      var isoWeekday = ((new Date(ms).getUTCDay() + 6) % 7) + 1;
      var monday = isoDate(ms - (isoWeekday - 1) * DAY_MS);
      if (weekLabels.indexOf(monday) < 0) {
        weekLabels.push(monday);
      }
      dayLabels.push(isoDate(ms));
      weekday.push(isoWeekday);
      weekOfDay.push(weekLabels.indexOf(monday));
    }
    var hourLabels = [];
    for (var h = 0; h < hours; h++) {
      hourLabels.push(dayLabels[Math.floor(h / 24)] + " " + pad(h % 24) + ":00");
    }
    return {
      dayLabels: dayLabels, weekday: weekday, weekOfDay: weekOfDay,
      weekLabels: weekLabels, hourLabels: hourLabels
    };
  }

  function buckets(granularity) {
    if (granularity === "hour") {
      return days * 24;
    }
    return granularity === "day" ? days : calendar.weekLabels.length;
  }

  /* ---- formatting ---- */

  function formatCount(value) {
    return value === null ? "—" : Math.round(value).toLocaleString("en-US");
  }

  function formatDecimal(value, digits) {
    if (value === null || isNaN(value)) {
      return "—";
    }
    return value.toLocaleString("en-US", {
      minimumFractionDigits: digits, maximumFractionDigits: digits
    });
  }

  function formatBytes(value) {
    if (value === null || isNaN(value)) {
      return "—";
    }
    if (Math.abs(value) < 1000) {
      return formatDecimal(value, 0) + " B";
    }
    var exponent = Math.min(Math.floor(Math.log10(Math.abs(value)) / 3), BYTE_UNITS.length - 1);
    var scaled = value / Math.pow(1000, exponent);
    if (Math.abs(Math.round(scaled * 10) / 10) >= 1000 && exponent < BYTE_UNITS.length - 1) {
      exponent += 1;
      scaled /= 1000;
    }
    return formatDecimal(scaled, 1) + " " + BYTE_UNITS[exponent];
  }

  /* ---- controls ---- */

  function otherLabel(count, noun) {
    return "other (" + count.toLocaleString("en-US") + " " + noun + (count === 1 ? "" : "s") + ")";
  }

  function fillSelect(select, labels, folded, noun) {
    var options = ['<option value="">All</option>'];
    labels.forEach(function (label) {
      if (label === "other" && !folded) {
        return;
      }
      var text = label === "other" ? otherLabel(folded, noun) : label;
      options.push('<option value="' + escapeHtml(label) + '">' + escapeHtml(text) + "</option>");
    });
    select.innerHTML = options.join("");
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function fillVersions() {
    var project = dims.project.indexOf(controls.project.value);
    if (project < 0) {
      fillSelect(controls.version, [], 0, "version");
      controls.version.disabled = true;
      return;
    }
    var labels = data.project_versions[project].map(function (ix) { return dims.version[ix]; });
    var folded = data.folded.version[project] || (dims.project[project] === "other" ? 1 : 0);
    fillSelect(controls.version, labels, folded, "version");
    if (dims.project[project] === "other") {
      controls.version.options[1].textContent = "other (versions of other projects)";
    }
    controls.version.disabled = false;
  }

  function selection() {
    return {
      country: controls.country.value === "" ? -1 : dims.country.indexOf(controls.country.value),
      project: controls.project.value === "" ? -1 : dims.project.indexOf(controls.project.value),
      version: controls.version.value === "" ? -1 : dims.version.indexOf(controls.version.value),
      excludeMirrors: controls.mirrors.checked,
      excludeCi: controls.ci.checked,
      granularity: controls.granularity.value,
      metric: controls.metric.value
    };
  }

  /* ---- computations (same definitions as helpers.transform) ---- */

  function leafMask(sel) {
    var count = leaves.country.length;
    var mask = new Uint8Array(count);
    for (var i = 0; i < count; i++) {
      var flags = leaves.flags[i];
      mask[i] = (sel.country < 0 || leaves.country[i] === sel.country) &&
        (sel.project < 0 || leaves.project[i] === sel.project) &&
        (sel.version < 0 || leaves.version[i] === sel.version) &&
        !(sel.excludeMirrors && (flags & MIRROR)) &&
        !(sel.excludeCi && (flags & CI)) ? 1 : 0;
    }
    return mask;
  }

  function aggregate(mask) {
    var perHour = {
      downloads: new Float64Array(hours), bytes: new Float64Array(hours),
      dependencies: new Float64Array(hours), downloads_without_metadata: new Float64Array(hours)
    };
    var perLeaf = new Float64Array(mask.length);
    var runs = rows.leaf_runs;
    var hourDelta = rows.hour;
    var downloads = rows.downloads;
    var bytes = rows.bytes;
    var dependencies = rows.dependencies;
    var withoutMetadata = rows.downloads_without_metadata;
    var position = 0;
    for (var leaf = 0; leaf < runs.length; leaf++) {
      var end = position + runs[leaf];
      if (!mask[leaf]) {
        position = end;
        continue;
      }
      var hour = 0;
      for (; position < end; position++) {
        hour += hourDelta[position];
        perHour.downloads[hour] += downloads[position];
        perHour.bytes[hour] += bytes[position];
        perHour.dependencies[hour] += dependencies[position];
        perHour.downloads_without_metadata[hour] += withoutMetadata[position];
        perLeaf[leaf] += downloads[position];
      }
    }
    return { perHour: perHour, perLeaf: perLeaf };
  }

  function total(values) {
    var sum = 0;
    for (var i = 0; i < values.length; i++) {
      sum += values[i];
    }
    return sum;
  }

  function kpis(perHour, granularity) {
    var downloads = total(perHour.downloads);
    var bytes = total(perHour.bytes);
    var dependencies = total(perHour.dependencies);
    var without = total(perHour.downloads_without_metadata);
    var withMetadata = downloads - without;
    var count = buckets(granularity);
    return {
      downloads_sum: downloads,
      downloads_mean: count > 0 ? downloads / count : null,
      bytes_sum: bytes,
      bytes_mean: withMetadata > 0 ? bytes / withMetadata : null,
      dependencies_sum: dependencies,
      dependencies_mean: withMetadata > 0 ? dependencies / withMetadata : null,
      downloads_without_metadata: without,
      buckets: count
    };
  }

  function perDay(hourly) {
    var out = new Float64Array(days);
    for (var h = 0; h < hours; h++) {
      out[Math.floor(h / 24)] += hourly[h];
    }
    return out;
  }

  function series(hourly, granularity) {
    if (granularity === "hour") {
      return { x: calendar.hourLabels, y: Array.from(hourly) };
    }
    var daily = perDay(hourly);
    if (granularity === "day") {
      return { x: calendar.dayLabels, y: Array.from(daily) };
    }
    var weekly = new Array(calendar.weekLabels.length).fill(0);
    for (var d = 0; d < days; d++) {
      weekly[calendar.weekOfDay[d]] += daily[d];
    }
    return { x: calendar.weekLabels, y: weekly };
  }

  function weekdayWeights(hourly) {
    var daily = perDay(hourly);
    var occurrences = [0, 0, 0, 0, 0, 0, 0];
    var totals = [0, 0, 0, 0, 0, 0, 0];
    for (var d = 0; d < days; d++) {
      occurrences[calendar.weekday[d] - 1] += 1;
      totals[calendar.weekday[d] - 1] += daily[d];
    }
    var means = [];
    var sumOfMeans = 0;
    for (var w = 0; w < 7; w++) {
      means.push(occurrences[w] > 0 ? totals[w] / occurrences[w] : 0);
      sumOfMeans += means[w];
    }
    var result = { x: [], y: [], customdata: [] };
    for (var k = 0; k < 7; k++) {
      result.x.push(WEEKDAYS[k]);
      result.y.push(sumOfMeans > 0 ? means[k] / sumOfMeans : 0);
      result.customdata.push([occurrences[k], means[k]]);
    }
    return result;
  }

  function hourlyProfile(hourly) {
    var totals = new Array(24).fill(0);
    for (var h = 0; h < hours; h++) {
      totals[h % 24] += hourly[h];
    }
    var x = [];
    var y = [];
    for (var hour = 0; hour < 24; hour++) {
      x.push(hour);
      y.push(days > 0 ? totals[hour] / days : 0);
    }
    return { x: x, y: y, customdata: totals };
  }

  function breakdown(perLeaf, sel) {
    var byProject = sel.project < 0;
    var dimension = byProject ? leaves.project : leaves.version;
    var labels = byProject ? dims.project : dims.version;
    var sums = {};
    for (var i = 0; i < perLeaf.length; i++) {
      if (perLeaf[i] > 0) {
        sums[dimension[i]] = (sums[dimension[i]] || 0) + perLeaf[i];
      }
    }
    var keys = Object.keys(sums).map(Number).sort(function (a, b) {
      return sums[b] - sums[a] || (labels[a] < labels[b] ? -1 : 1);
    });
    var shown = keys.slice(0, BREAKDOWN_BARS);
    var noun = byProject ? "project" : "version";
    var folded = byProject ? data.folded.project : data.folded.version[sel.project];
    var title = byProject
      ? "Downloads by project"
      : "Downloads by version of " + dims.project[sel.project];
    if (keys.length > shown.length) {
      title += " (top " + shown.length + " of " + keys.length + ")";
    }
    return {
      title: title,
      x: shown.map(function (k) { return sums[k]; }),
      y: shown.map(function (k) {
        return labels[k] === "other" && folded ? otherLabel(folded, noun) : labels[k];
      })
    };
  }

  /* ---- rendering ---- */

  function figure(name) {
    var spec = JSON.parse(JSON.stringify(figures.figures[name]));
    spec.layout.template = figures.template;
    return spec;
  }

  function draw(id, spec) {
    var element = document.getElementById(id);
    element.setAttribute("data-points", String(spec.data[0].x.length));
    return Plotly.react(element, spec.data, spec.layout, figures.config);
  }

  function setValue(id, value, text) {
    var element = document.getElementById(id);
    element.setAttribute("data-value", value === null ? "" : String(value));
    element.textContent = text;
    element.title = value === null ? "undefined" : String(value);
  }

  function renderKpis(values, granularity) {
    var definitions = figures.definitions[granularity];
    document.getElementById("kpis").setAttribute("data-granularity", granularity);
    document.getElementById("kpi-downloads-mean-label").textContent =
      figures.mean_labels[granularity];
    setValue("kpi-downloads-sum", values.downloads_sum, formatCount(values.downloads_sum));
    setValue("kpi-downloads-mean", values.downloads_mean, formatDecimal(values.downloads_mean, 1));
    setValue("kpi-bytes-sum", values.bytes_sum, formatBytes(values.bytes_sum));
    setValue("kpi-bytes-mean", values.bytes_mean, formatBytes(values.bytes_mean));
    setValue("kpi-dependencies-sum", values.dependencies_sum, formatCount(values.dependencies_sum));
    setValue("kpi-dependencies-mean", values.dependencies_mean,
      formatDecimal(values.dependencies_mean, 2));
    setValue("kpi-downloads-without-metadata", values.downloads_without_metadata,
      formatCount(values.downloads_without_metadata));
    setValue("kpi-buckets", values.buckets, formatCount(values.buckets));
    Object.keys(definitions).forEach(function (id) {
      document.getElementById(id + "-definition").textContent = definitions[id];
    });
  }

  function describe(sel) {
    var parts = [
      sel.country < 0 ? "all countries" : "country " + dims.country[sel.country],
      sel.project < 0 ? "all projects" : "project " + dims.project[sel.project],
      sel.version < 0 ? "all versions" : "version " + dims.version[sel.version]
    ];
    if (sel.excludeMirrors) {
      parts.push("mirrors excluded");
    }
    if (sel.excludeCi) {
      parts.push("CI excluded");
    }
    return "Showing " + parts.join(" · ") + ".";
  }

  function render() {
    var sel = selection();
    var totals = aggregate(leafMask(sel));
    renderKpis(kpis(totals.perHour, sel.granularity), sel.granularity);
    document.getElementById("selection-summary").textContent = describe(sel);

    var timeseries = figure("timeseries-" + sel.granularity + "-" + sel.metric);
    var points = series(totals.perHour[sel.metric], sel.granularity);
    timeseries.data[0].x = points.x;
    timeseries.data[0].y = points.y;

    var weekday = figure("weekday");
    METRICS.forEach(function (metric, index) {
      var weights = weekdayWeights(totals.perHour[metric]);
      weekday.data[index].x = weights.x;
      weekday.data[index].y = weights.y;
      weekday.data[index].customdata = weights.customdata;
    });

    var hourly = figure("hourly");
    var profile = hourlyProfile(totals.perHour.downloads);
    hourly.data[0].x = profile.x;
    hourly.data[0].y = profile.y;
    hourly.data[0].customdata = profile.customdata;

    var bars = figure("breakdown");
    var parts = breakdown(totals.perLeaf, sel);
    bars.data[0].x = parts.x;
    bars.data[0].y = parts.y;
    bars.layout.title.text = parts.title;
    bars.layout.yaxis.range = [Math.max(parts.y.length, figures.breakdown_min_slots) - 0.5, -0.5];

    return Promise.all([
      draw("chart-timeseries", timeseries),
      draw("chart-breakdown", bars),
      draw("chart-weekday", weekday),
      draw("chart-hourly", hourly)
    ]).then(function () {
      renders += 1;
      document.body.setAttribute("data-renders", String(renders));
      document.body.setAttribute("data-ready", "true");
    });
  }

  /* The cube is embedded as gzip-compressed JSON in base64; the browser inflates it locally. */
  function decode(text) {
    var binary = atob(text.trim());
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }

  function showError(message) {
    var element = document.getElementById("load-error");
    element.textContent = message;
    element.hidden = false;
    document.body.setAttribute("data-ready", "error");
  }

  function load(payload) {
    data = payload;
    dims = data.dims;
    leaves = data.leaves;
    rows = data.rows;
    hours = data.window.hours;
    days = data.window.days;
    startMs = Date.parse(data.window.start + "T00:00:00Z");
    calendar = buildCalendar();
  }

  function init() {
    fillSelect(controls.country, dims.country, data.folded.country, "country");
    fillSelect(controls.project, dims.project, data.folded.project, "project");
    fillVersions();
    controls.project.addEventListener("change", function () {
      fillVersions();
      render();
    });
    [controls.country, controls.version, controls.granularity, controls.metric].forEach(
      function (element) { element.addEventListener("change", render); }
    );
    [controls.mirrors, controls.ci].forEach(function (element) {
      element.addEventListener("change", render);
    });
    return render();
  }

  if (typeof DecompressionStream === "undefined") {
    showError("This browser cannot read the embedded data (it needs DecompressionStream: " +
      "Chrome 80, Firefox 113, Safari 16.4 or later).");
    return;
  }
  decode(document.getElementById("report-data").textContent).then(function (payload) {
    load(payload);
    return init();
  }).catch(function (error) {
    showError("The report could not be drawn: " + error);
  });
})();
