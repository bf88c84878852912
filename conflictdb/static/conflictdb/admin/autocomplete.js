/* Admin autocomplete (select2): pre-select a result only when it is the matcher's match.
 *
 * select2 highlights the first result of every search, so Enter would take whatever the search
 * listed first. conflictdb.autocomplete ranks the results by the model's matcher and flags the
 * one record the typed name means (`match: true`); this keeps the highlight on that one only.
 * An ambiguous or unknown name has no match: the candidates are shown, nothing is highlighted,
 * and Enter takes nothing until the editor chooses with the arrows or the mouse.
 */
(function () {
  "use strict";
  const $ = window.django && window.django.jQuery;
  if (!$) return;
  const HIGHLIGHTED = "select2-results__option--highlighted";

  function rankedResults(instance) {
    if (instance.conflictdbRanked) return;
    instance.conflictdbRanked = true;
    // Registered after select2's own handler, so it runs after select2 highlighted the first result.
    instance.on("results:all", (params) => {
      const results = (params.data && params.data.results) || [];
      const options = instance.$results.find(".select2-results__option[aria-selected]");
      options.removeClass(HIGHLIGHTED);
      options.each((index, option) => {
        const result = results[index];
        option.dataset.match = result && result.match ? "1" : "0";
      });
      const match = options.filter("[data-match='1']");
      if (match.length === 1) match.first().trigger("mouseenter");
    });
  }

  $(document).on("select2:opening select2:open", "select", (event) => {
    const instance = $(event.target).data("select2");
    if (instance) rankedResults(instance);
  });
})();
