"""BG/NBD: the published CDNOW fit, predictions against independent computations, errors.

Independent references used here: the published figures of Fader, Hardie &
Lee (2005) (FHL); FHL eq. 8 (P(X(t) = x)) summed over x; Monte-Carlo
simulation of the BG/NBD process itself; numerical quadrature over p.
"""

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, special, stats

from sikit._bgnbd import BetaGeoModel, _expected_if_alive_series, _log_likelihood
from sikit._errors import SikitInputError
from sikit._features import btyd_summary
from sikit.datasets import CDNOW_CALIBRATION_END, load_cdnow, load_cdnow_summary

PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # FHL 2005, CDNOW sample, weeks
COLUMNS = ["frequency", "recency", "T"]


@pytest.fixture(scope="module")
def cdnow_orders():
    return load_cdnow("sample")


@pytest.fixture(scope="module")
def cdnow_weeks(cdnow_orders):
    return btyd_summary(cdnow_orders, CDNOW_CALIBRATION_END, unit="W")


@pytest.fixture(scope="module")
def model(cdnow_weeks):
    return BetaGeoModel().fit(cdnow_weeks)


@pytest.fixture(scope="module")
def master_weeks():
    return btyd_summary(load_cdnow("master"), CDNOW_CALIBRATION_END, unit="W")


def summary(x, tx, T):
    x, tx, T = np.broadcast_arrays(np.atleast_1d(x), np.asarray(tx, float), np.asarray(T, float))
    return pd.DataFrame({"frequency": x, "recency": tx, "T": T})


def with_params(**params):
    m = BetaGeoModel()
    m.params_ = params
    return m


# --- the published fit ---------------------------------------------------------------------------

@pytest.mark.parametrize("source", ["btyd_summary", "hardie"])
def test_reproduces_the_published_cdnow_fit(source, cdnow_weeks):
    data = cdnow_weeks if source == "btyd_summary" else load_cdnow_summary()
    m = BetaGeoModel().fit(data)
    # Each estimate, rounded to 3 decimals, equals the published 3-decimal figure
    # (so |estimate - published| <= 0.0005); the log-likelihood to 1 decimal.
    assert {k: round(v, 3) for k, v in m.params_.items()} == PUBLISHED
    assert round(m.log_likelihood_, 1) == -9582.4
    assert m.n_customers_ == 2357
    # FHL's worked example: x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in the next 39 weeks.
    assert round(m.expected_purchases(39, summary(2, 30.43, 38.86))[0], 3) == 1.226


def test_log_likelihood_is_eq6_summed_over_customers(model, cdnow_weeks):
    # Eq. 6 written out naively, row by row (no aggregation, no log-sum-exp).
    r, alpha, a, b = model.params_.values()
    x, tx, T = (cdnow_weeks[c].to_numpy(float) for c in COLUMNS)
    common = special.gamma(r + x) * alpha**r / (special.gamma(r) * special.beta(a, b))
    alive = special.beta(a, b + x) / (alpha + T) ** (r + x)
    dead = np.where(x > 0, special.beta(a + 1, b + np.maximum(x, 1) - 1) / (alpha + tx) ** (r + x), 0)
    assert np.log(common * (alive + dead)).sum() == pytest.approx(model.log_likelihood_, rel=1e-12)


def test_analytic_gradient_matches_finite_differences(cdnow_weeks):
    x, tx, T = (cdnow_weeks[c].to_numpy(float) for c in COLUMNS)
    xm, rep = np.maximum(x, 1), x > 0
    for theta in (np.log([0.243, 4.414, 0.793, 2.426]), np.log([1.5, 0.3, 4.0, 0.2])):
        analytic = _log_likelihood(theta, x, tx, T, xm, rep)[1].sum(axis=1)
        numeric = optimize.approx_fprime(theta, lambda th: _log_likelihood(th, x, tx, T, xm, rep)[0].sum(), 1e-7)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-3)


def test_time_unit_only_rescales_alpha(cdnow_orders, model):
    days = BetaGeoModel().fit(btyd_summary(cdnow_orders, CDNOW_CALIBRATION_END, unit="D"))
    for k in ("r", "a", "b"):
        assert days.params_[k] == pytest.approx(model.params_[k], rel=1e-4)
    assert days.params_["alpha"] == pytest.approx(7 * model.params_["alpha"], rel=1e-4)


def test_penalizer_pulls_log_params_towards_zero():
    data = load_cdnow_summary()
    plain, penalized = BetaGeoModel().fit(data), BetaGeoModel(penalizer=0.1).fit(data)
    size = lambda m: np.sum(np.log(list(m.params_.values())) ** 2)  # noqa: E731
    assert size(penalized) < size(plain)
    assert penalized.log_likelihood_ < plain.log_likelihood_


# --- aggregate fit: FHL Fig. 2 ------------------------------------------------------------------

def test_unconditional_expectation_is_the_mean_of_eq8(model):
    # Eq. 9 (hyp2f1) against sum_x x·P(X(t) = x) with P from eq. 8 (negative binomial pmf/sf).
    r, alpha, a, b = model.params_.values()
    k = np.arange(5000)
    for t in (1.0, 39.0, 78.0):
        nb = stats.nbinom(r, alpha / (alpha + t))
        p = (np.exp(special.betaln(a, b + k) - special.betaln(a, b)) * nb.pmf(k)
             + np.where(k > 0, np.exp(special.betaln(a + 1, b + k - 1) - special.betaln(a, b)), 0)
             * nb.sf(k - 1))
        assert p.sum() == pytest.approx(1, abs=1e-9)
        assert model.expected_purchases_new(t) == pytest.approx(k @ p, rel=1e-9)
        # A customer observed for T -> 0+ with no repeat purchase is a new customer:
        # P(at least one purchase in (0, t]) = 1 - P(X(t) = 0) of eq. 8.
        new = summary(0, 0.0, 1e-9)
        assert model.p_any_purchase(t, new)[0] == pytest.approx(1 - p[0], rel=1e-8)
        assert model.expected_purchases(t, new)[0] == pytest.approx(k @ p, rel=1e-6)


def test_tracks_cumulative_repeat_purchases_like_fhl_figure_2(cdnow_orders, cdnow_weeks, model):
    # FHL Fig. 2: summing E[X(t)] over customers by their first-purchase week tracks
    # cumulative repeat sales closely, a little under in the holdout weeks 40-78.
    # Actual totals here are repeat purchase days (same-day records collapsed, as in
    # the summary). We require 5% at weeks 39, 52, 65, 78; observed: +1.5%, -1.7%,
    # -4.4%, -4.1%. A wrong eq. 9 (e.g. a missing factor) is far outside that.
    T = cdnow_weeks["T"].to_numpy()
    for week in (39, 52, 65, 78):
        end = pd.Timestamp("1997-01-01") + pd.Timedelta(days=7 * week - 1)
        actual = btyd_summary(cdnow_orders, end, unit="W")["frequency"].sum()
        predicted = model.expected_purchases_new(T + (week - 39)).sum()
        assert predicted == pytest.approx(actual, rel=0.05), week


# --- conditional predictions against a simulation of the process -------------------------------

def simulate_given_history(params, x, tx, T, t, n=200_000, seed=0):
    """Draws of (weight, alive at T, purchases in (T, T+t]) given the history (x, t_x, T).

    (λ, p) are drawn from λ ~ Gamma(r+x, α+t_x), p ~ Beta(a, b) and weighted by
    prior/proposal × the individual likelihood of FHL eq. 3; alive at T is drawn
    from its share of that likelihood, then the purchase/dropout process is run
    forward for t.
    """
    r, alpha, a, b = params.values()
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r + x, 1 / (alpha + tx), n)
    p = rng.beta(a, b, n)
    alive_part = (1 - p) ** x * np.exp(-lam * (T - tx))
    dead_part = p * (1 - p) ** (x - 1) if x > 0 else 0.0
    weight = alive_part + dead_part
    alive = rng.random(n) < alive_part / weight
    count, clock = np.zeros(n), np.zeros(n)
    active = np.flatnonzero(alive)
    while active.size:
        clock[active] += rng.exponential(1 / lam[active])
        active = active[clock[active] <= t]
        count[active] += 1
        active = active[rng.random(active.size) >= p[active]]  # drops out right after a purchase
    return weight, alive, count


def weighted_mean(weight, values):
    mean = weight @ values / weight.sum()
    se = np.sqrt(np.sum(weight**2 * (values - mean) ** 2)) / weight.sum()
    return mean, se


@pytest.mark.parametrize("x, tx, T, t", [(0, 0.0, 38.86, 39), (2, 30.43, 38.86, 39), (2, 5.0, 38.86, 39),
                                         (7, 35.0, 38.0, 13), (20, 37.5, 38.86, 52)])
def test_predictions_match_a_simulation_of_the_process(model, x, tx, T, t):
    weight, alive, count = simulate_given_history(model.params_, x, tx, T, t)
    row = summary(x, tx, T)
    for predicted, values in ((model.p_alive(row)[0], alive),
                              (model.p_any_purchase(t, row)[0], count > 0),
                              (model.expected_purchases(t, row)[0], count)):
        mean, se = weighted_mean(weight, values.astype(float))
        assert abs(predicted - mean) < 4 * se + 1e-9, (predicted, mean, se)


def test_p_any_purchase_properties(model, master_weeks):
    horizons = [0.5, 4, 13, 39, 104]
    p = np.array([model.p_any_purchase(t, master_weeks) for t in horizons])
    alive = model.p_alive(master_weeks)
    assert np.all((p >= 0) & (p <= 1))
    assert np.all(p <= alive)
    assert np.all(np.diff(p, axis=0) >= 0)
    # Strictly, unless P(alive) underflows or P(buy | alive) has saturated at 1 in floating point.
    moving = (alive > 1e-12) & (p[1:] < alive * (1 - 1e-12))
    assert np.all(np.diff(p, axis=0)[moving] > 0) and moving.mean() > 0.99
    for t, pt in zip(horizons, p):
        # Y(t) is a count: E[Y] >= P(Y >= 1).
        assert np.all(model.expected_purchases(t, master_weeks) >= pt)
    assert np.all(model.p_any_purchase(0, master_weeks) == 0)


def test_p_alive_is_one_without_repeats_and_falls_with_T(model):
    assert np.all(model.p_alive(summary(np.zeros(5, int), 0.0, [1, 10, 30, 100, 1000])) == 1)
    for x, tx in ((1, 2.0), (3, 20.0), (25, 30.0)):
        T = np.linspace(tx + 0.1, 200, 50)
        p = model.p_alive(summary(np.full(50, x), np.full(50, tx), T))
        assert np.all(np.diff(p) < 0) and np.all((p > 0) & (p <= 1))
    # ...while the chance of buying again does fall with T for one-time buyers.
    p = model.p_any_purchase(39, summary(np.zeros(4, int), 0.0, [1, 10, 30, 100]))
    assert np.all(np.diff(p) < 0)


# --- the 2F1 evaluation -------------------------------------------------------------------------

def expected_if_alive_by_quadrature(x, T, t, r, alpha, a, b):
    """E[(1 - (1 + pt/(α+T))^-(r+x)) / p] for p ~ Beta(a, b+x): what eq. 10 computes, given alive."""
    log_beta = special.betaln(a, b + x)

    def integrand(p):
        return (-np.expm1(-(r + x) * np.log1p(p * t / (alpha + T))) / p
                * np.exp((a - 1) * np.log(p) + (b + x - 1) * np.log1p(-p) - log_beta))

    mode = a / (a + b + x)
    return integrate.quad(integrand, 0, 1, points=[mode / 4, mode, min(4 * mode, 0.9)],
                          epsabs=0, epsrel=1e-11, limit=500)[0]


def test_euler_form_equals_fhl_eq10_as_printed(model, cdnow_weeks):
    r, alpha, a, b = model.params_.values()
    x, tx, T = (cdnow_weeks[c].to_numpy(float) for c in COLUMNS)
    t = 39.0
    printed = ((a + b + x - 1) / (a - 1)
               * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x)
                  * special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t)))
               * model.p_alive(cdnow_weeks))
    np.testing.assert_allclose(model.expected_purchases(t, cdnow_weeks), printed, rtol=1e-10)


def test_large_frequencies_are_accurate(master_weeks):
    m = BetaGeoModel().fit(master_weeks)
    r, alpha, a, b = m.params_.values()
    assert master_weeks["frequency"].max() >= 50
    for t in (1.0, 39.0, 520.0):
        e = m.expected_purchases(t, master_weeks)
        assert np.all(np.isfinite(e)) and np.all(e >= 0)
        # hyp2f1 path and the directly summed series agree on every master row.
        x, T = master_weeks["frequency"].to_numpy(float), master_weeks["T"].to_numpy()
        series = _expected_if_alive_series(x, T, np.full_like(T, t), r, alpha, a, b) * m.p_alive(master_weeks)
        np.testing.assert_allclose(e, series, rtol=1e-9)
    for x in (80, 300, 2000):
        got = m.expected_purchases(52, summary(x, 38.0, 38.86))[0] / m.p_alive(summary(x, 38.0, 38.86))[0]
        assert got == pytest.approx(expected_if_alive_by_quadrature(x, 38.86, 52, r, alpha, a, b), rel=1e-8)


def test_where_scipy_hyp2f1_fails_the_series_takes_over():
    params = {"r": 2.0, "alpha": 50.0, "a": 3.0, "b": 10.0}
    x, T, t = 300, 0.5, 5000.0
    assert np.isnan(special.hyp2f1(params["a"] + params["b"] - 1 - params["r"], params["a"] - 1,
                                   params["a"] + params["b"] + x - 1, t / (params["alpha"] + T + t)))
    m = with_params(**params)
    row = summary(x, T, T)
    got = m.expected_purchases(t, row)[0] / m.p_alive(row)[0]
    assert got == pytest.approx(expected_if_alive_by_quadrature(x, T, t, *params.values()), rel=1e-8)


@pytest.mark.parametrize("a", [1.0, 1 + 1e-6, 1 - 5e-5])
def test_a_equal_to_one_is_handled(a):
    # Eq. 10 is 0/0 at a = 1; the expectation is smooth through it.
    params = {"r": 0.3, "alpha": 5.0, "a": a, "b": 2.5}
    rows = summary([0, 1, 4, 60], [0.0, 10.0, 30.0, 38.0], 38.86)
    m = with_params(**params)
    for t in (1.0, 39.0, 400.0):
        got = m.expected_purchases(t, rows) / m.p_alive(rows)
        want = [expected_if_alive_by_quadrature(x, 38.86, t, *params.values()) for x in rows["frequency"]]
        np.testing.assert_allclose(got, want, rtol=1e-8)
    assert with_params(**params).expected_purchases_new(39) == pytest.approx(
        with_params(**{**params, "a": 1 + 2e-4}).expected_purchases_new(39), rel=1e-3)


def test_a_plus_b_equal_to_one_for_new_customers():
    # For x = 0 the 2F1 has c = a + b - 1, a pole at 0 that eq. 10's (a + b - 1) factor cancels.
    params = {"r": 0.3, "alpha": 5.0, "a": 0.4, "b": 0.6}
    got = with_params(**params).expected_purchases_new([1.0, 39.0])
    want = [expected_if_alive_by_quadrature(0, 0.0, t, *params.values()) for t in (1.0, 39.0)]
    np.testing.assert_allclose(got, want, rtol=1e-8)


# --- fitting the master and scale ---------------------------------------------------------------

def test_fits_the_cdnow_master(master_weeks, model):
    m = BetaGeoModel().fit(master_weeks)
    assert m.n_customers_ == 23570
    assert np.isfinite(m.log_likelihood_) and m.log_likelihood_ < 0
    # The master is ten samples like the one FHL fitted: same ballpark parameters.
    for k, v in m.params_.items():
        assert np.isfinite(v) and v == pytest.approx(model.params_[k], rel=0.15), k


def test_predicts_a_million_rows(model):
    rng = np.random.default_rng(0)
    n = 1_000_000
    T = rng.uniform(1, 200, n)
    x = rng.poisson(rng.gamma(0.5, 4, n))
    tx = np.where(x > 0, T * rng.uniform(0, 1, n), 0.0)
    rows = summary(x, tx, T)
    for values in (model.p_alive(rows), model.p_any_purchase(26, rows), model.expected_purchases(26, rows)):
        assert values.shape == (n,) and np.all(np.isfinite(values))


# --- errors -------------------------------------------------------------------------------------

def test_no_repeat_buyers_is_an_error():
    with pytest.raises(SikitInputError, match="needs repeat buyers"):
        BetaGeoModel().fit(summary(np.zeros(100, int), 0.0, np.linspace(1, 40, 100)))


def test_too_few_iterations_is_an_error(cdnow_weeks):
    with pytest.raises(SikitInputError, match=r"BG/NBD did not converge: .*raise max_iter \(now 1\)"):
        BetaGeoModel(max_iter=1).fit(cdnow_weeks)


def test_an_unidentified_model_is_an_error():
    # One repeat buyer among 51: the likelihood keeps rising along a -> 0, b -> oo.
    data = summary([0] * 50 + [3], [0.0] * 50 + [20.0], 38.0)
    with pytest.raises(SikitInputError, match="BG/NBD did not converge: .*too few repeat buyers"):
        BetaGeoModel().fit(data)
    # Everyone alike, nobody lapsing: no heterogeneity for r, α (or a, b) to describe.
    with pytest.raises(SikitInputError, match="BG/NBD did not converge: .*towards 0 or infinity"):
        BetaGeoModel().fit(summary(np.full(200, 5), 40.0, 40.0))
    # A penalty makes the same data estimable.
    assert np.isfinite(BetaGeoModel(penalizer=0.01).fit(data).log_likelihood_)


@pytest.mark.parametrize("change, message", [
    (lambda d: d.assign(frequency=d["frequency"].where(d.index > 1, -1)), "2 summary row(s) have a frequency that is not a whole number"),
    (lambda d: d.assign(frequency=d["frequency"] + 0.5), "3 summary row(s) have a frequency that is not a whole number"),
    (lambda d: d.assign(recency=d["T"] + 1), "3 summary row(s) have a recency outside [0, T]"),
    (lambda d: d.assign(T=0.0, recency=0.0), "3 summary row(s) have T <= 0"),
    (lambda d: d.assign(frequency=0), "2 summary row(s) have frequency 0 but recency != 0"),
    (lambda d: d.assign(T=[1.0, np.nan, 3.0]), "1 summary row(s) have a missing or infinite"),
    (lambda d: d.drop(columns="recency"), "BTYD summaries lack required column(s) recency"),
    (lambda d: d.assign(T=["a", "b", "c"]), "summary column T must be numeric"),
    (lambda d: d.iloc[:0], "the summary has no rows"),
    (lambda d: d.to_numpy(), "the summary must be a DataFrame"),
])
def test_bad_summaries_are_errors(model, change, message):
    good = summary([0, 1, 4], [0.0, 2.0, 3.0], 5.0)
    bad = change(good)
    for call in (lambda: BetaGeoModel().fit(bad), lambda: model.p_alive(bad),
                 lambda: model.expected_purchases(1, bad), lambda: model.p_any_purchase(1, bad)):
        with pytest.raises(SikitInputError) as err:
            call()
        assert message in str(err.value)


def test_bad_arguments_are_errors(model):
    rows = summary([0, 1], [0.0, 2.0], 5.0)
    with pytest.raises(SikitInputError, match="not fitted yet"):
        BetaGeoModel().p_alive(rows)
    with pytest.raises(SikitInputError, match="horizon t must be finite and >= 0"):
        model.p_any_purchase(-1, rows)
    with pytest.raises(SikitInputError, match=r"one value per summary row \(2\)"):
        model.expected_purchases([1, 2, 3], rows)
    np.testing.assert_allclose(model.expected_purchases([1, 2], rows),
                               [model.expected_purchases(1, rows)[0], model.expected_purchases(2, rows)[1]])
    for bad in ({"penalizer": -1}, {"penalizer": "x"}, {"max_iter": 0}, {"max_iter": 2.5}, {"tol": 0}):
        with pytest.raises(SikitInputError, match=next(iter(bad))):
            BetaGeoModel(**bad).fit(load_cdnow_summary())
