// The page's words from its catalogue section (web/catalogue/LANG.json), which the server
// puts in the page: no user-visible text lives in the scripts. Times are the clinic's.
"use strict";

const Words = (() => {
  const catalogue = JSON.parse(document.getElementById("catalogue").textContent);
  const language = document.documentElement.lang;
  const timeZone = document.querySelector("[data-timezone]")?.dataset.timezone || undefined;

  // t("taken", {code, title}): the text with its {placeholders} filled.
  function t(key, values = {}) {
    const text = catalogue[key] ?? key;
    return text.replace(/\{([a-z_]+)\}/g, (_, name) => String(values[name] ?? ""));
  }

  // A count in the language's plural form: the catalogue holds KEY_one, KEY_few, KEY_many
  // and KEY_other (Russian needs them: 21 год, 22 года, 25 лет).
  function count(key, n) {
    return t(`${key}_${new Intl.PluralRules(language).select(n)}`, { n });
  }

  // A value the server sends (a reason, triage level, follow-up kind...) in the page's words.
  function status(kind, value) {
    return catalogue[`${kind}_${value}`] ?? value;
  }

  // An error the server answered with: by its code, never the server's English message.
  function error(code, message = "") {
    return catalogue[`error_${code}`] ? t(`error_${code}`, { message }) : t("error_other", { code });
  }

  const format = (options) => new Intl.DateTimeFormat(language, { timeZone, ...options });
  const dateTime = format({ dateStyle: "short", timeStyle: "short" });
  const timeOnly = format({ timeStyle: "short" });
  const dateOnly = format({ dateStyle: "short" });
  const when = (iso) => dateTime.format(new Date(iso));
  const time = (iso) => timeOnly.format(new Date(iso));
  const date = (iso) => dateOnly.format(new Date(iso));

  return { t, count, status, error, when, time, date, language };
})();
