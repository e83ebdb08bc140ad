// examples/common/train_log.hpp: the training log (RUN_DIR/log.csv, one row per step) and its
// picture (RUN_DIR/loss.png, a smoothed loss curve per task kind). Losses are written with 9
// significant digits, enough to round-trip a float exactly, so two runs compare bit for bit.
// On --resume the rows up to the checkpoint's step are read back and later rows are dropped: they
// belong to steps the resumed run will redo.
#pragma once
#include <array>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <mvg/io/atomic_file.hpp>
#include <mvg/eval/results.hpp>
#include <mvg/objectives/sample.hpp>
#include <mvg/viz/line_plot.hpp>

namespace example {

struct log_row {
  long step = 0;
  std::string task, objective;
  double loss = 0, lr = 0, grad_norm = 0, seconds = 0;
};

inline const char* log_header = "step,task,objective,loss,lr,grad_norm,seconds";

inline std::string log_csv(const std::vector<log_row>& rows) {
  std::string out = std::string(log_header) + "\n";
  char buf[256];
  for (const auto& r : rows) {
    std::snprintf(buf, sizeof buf, "%ld,%s,%s,%.9g,%.9g,%.9g,%.3f\n", r.step, r.task.c_str(), r.objective.c_str(),
                  r.loss, r.lr, r.grad_norm, r.seconds);
    out += buf;
  }
  return out;
}

// Rows of `path` with step < `until`; the file must be a log this program wrote.
inline std::vector<log_row> read_log(const std::string& path, long until) {
  std::ifstream in(path);
  MVG_CHECK(in.good(), path, ": cannot read the training log (needed by --resume)");
  std::string line;
  std::getline(in, line);
  MVG_CHECK(line == log_header, path, ": first line is '", line, "', expected '", log_header, "'");
  std::vector<log_row> rows;
  for (long n = 2; std::getline(in, line); ++n) {
    std::stringstream ss(line);
    log_row r;
    std::string f[7];
    for (auto& x : f) std::getline(ss, x, ',');
    try {
      r = {std::stol(f[0]), f[1], f[2], std::stod(f[3]), std::stod(f[4]), std::stod(f[5]), std::stod(f[6])};
    } catch (const std::exception&) {
      mvg::detail::fail(path, ": line ", n, " is not a log row (", log_header, ")");
    }
    if (r.step < until) rows.push_back(r);
  }
  MVG_CHECK(static_cast<long>(rows.size()) == until, path, ": holds ", rows.size(), " rows before step ", until,
            ", expected ", until);
  return rows;
}

// The progress line's loss per task kind: an exponential moving average (0.9) of each kind's steps.
class loss_summary {
public:
  std::string add(mvg::objectives::task_kind kind, double loss) {
    double& e = ema_[std::size_t(kind)];
    e = std::isnan(e) ? loss : 0.9 * e + 0.1 * loss;
    std::string text = "loss";
    for (int k = 0; k < mvg::objectives::task_kinds; ++k)
      if (!std::isnan(ema_[std::size_t(k)]))
        text += " " + std::string(mvg::objectives::task_name(mvg::objectives::task_kind(k))).substr(0, 3) + " " +
                mvg::eval::format_value(ema_[std::size_t(k)], 4);
    return text;
  }

private:
  std::array<double, mvg::objectives::task_kinds> ema_{NAN, NAN, NAN, NAN};
};

// Exponential moving average of each task kind's loss against the step.
inline void write_loss_png(const std::string& path, const std::vector<log_row>& rows, const std::string& title) {
  const std::array<mvg::viz::rgb, 4> colors{{{220, 60, 50}, {40, 120, 220}, {40, 170, 80}, {200, 140, 20}}};
  std::vector<mvg::viz::series> s;
  for (int k = 0; k < mvg::objectives::task_kinds; ++k) {
    const std::string name = mvg::objectives::task_name(static_cast<mvg::objectives::task_kind>(k));
    mvg::viz::series one{name, colors[std::size_t(k)], {}, {}};
    double ema = NAN;
    for (const auto& r : rows) {
      if (r.task != name) continue;
      ema = std::isnan(ema) ? r.loss : 0.9 * ema + 0.1 * r.loss;
      one.x.push_back(double(r.step + 1));
      one.y.push_back(ema);
    }
    if (!one.x.empty()) s.push_back(std::move(one));
  }
  mvg::viz::plot_options o;
  o.title = title, o.x_label = "step", o.y_label = "loss (EMA 0.9)";
  mvg::viz::line_plot(s, o).save(path);
}

}  // namespace example
