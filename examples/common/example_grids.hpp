// examples/common/example_grids.hpp: mvg_eval's pictures, one PNG grid per benchmark set or task.
// A few queries per set are chosen before the run (evenly spaced; for sets of many binary tasks the
// middle query of each of the first tasks), every method's prediction for them is kept, and a grid
// shows prompt, query, truth and each method side by side.
#pragma once
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <mvg/eval/benchmark_eval.hpp>
#include <mvg/viz/grid.hpp>

namespace example {

template <class Query, class Pred>
struct shown {
  Query query;
  std::map<std::string, Pred> by_method;
};

class example_grids {
public:
  explicit example_grids(std::size_t per_set) : per_set_(per_set) {}

  void choose(const mvg::data::benchmark& b, const mvg::eval::eval_options& o) {
    for (const auto& set : b.sets) {
      std::size_t picked = 0;
      for (const auto& task : set.tasks) {
        const auto qs = mvg::eval::segmentation_queries(set, task, o);
        if (qs.empty()) continue;
        if (set.tasks.size() == 1)
          for (std::size_t i : mvg::eval::spread(qs.size(), per_set_)) keys_.insert(key(set.name, task.name, qs[i].index));
        else if (picked++ < per_set_)
          keys_.insert(key(set.name, task.name, qs[qs.size() / 2].index));
      }
    }
  }
  void choose(const mvg::data::image_task_set& t, const mvg::eval::eval_options& o) {
    for (const auto& task : t.tasks) {
      const auto qs = mvg::eval::image_queries(task, o);
      for (std::size_t i : mvg::eval::spread(qs.size(), per_set_)) keys_.insert(key(task.name, "", qs[i].index));
    }
  }

  void observe(const mvg::eval::seg_query& q, const std::string& method, const mvg::eval::label_image& p) {
    const std::string k = key(q.set->name, q.task->name, q.index);
    if (!keys_.count(k)) return;
    auto& s = seg_[q.set->name][k];
    s.query = q, s.by_method[method] = p;
  }
  void observe(const mvg::eval::image_query& q, const std::string& method, const mvg::eval::gray_image& p) {
    const std::string k = key(q.task->name, "", q.index);
    if (!keys_.count(k)) return;
    auto& s = img_[q.task->name][k];
    s.query = q, s.by_method[method] = p;
  }

  // Writes dir/<set>.png for every set seen; returns the files written.
  std::vector<std::string> write(const std::filesystem::path& dir, const std::vector<std::string>& seg_methods,
                                 const std::vector<std::string>& img_methods) const {
    using mvg::viz::gray_tile;
    using mvg::viz::label_tile;
    std::filesystem::create_directories(dir);
    std::vector<std::string> files;
    std::vector<std::string> cols{"prompt image", "prompt label", "query", "truth"};
    cols.insert(cols.end(), seg_methods.begin(), seg_methods.end());
    for (const auto& [set, entries] : seg_) {
      std::vector<std::vector<mvg::viz::tile>> rows;
      std::vector<std::string> titles;
      for (const auto& [k, s] : entries) {
        std::vector<mvg::viz::tile> r{gray_tile(s.query.prompt_image(0)), label_tile(s.query.prompt_label(0)),
                                      gray_tile(s.query.image()), label_tile(s.query.truth())};
        for (const auto& m : seg_methods) r.push_back(label_tile(s.by_method.at(m)));
        rows.push_back(std::move(r));
        titles.push_back(s.query.task->name.substr(0, 14) + " z" + std::to_string(s.query.query->slice));
      }
      files.push_back(save(dir, set, cols, titles, rows));
    }
    cols = {"prompt input", "prompt target", "query", "target"};
    cols.insert(cols.end(), img_methods.begin(), img_methods.end());
    for (const auto& [task, entries] : img_) {
      std::vector<std::vector<mvg::viz::tile>> rows;
      std::vector<std::string> titles;
      for (const auto& [k, s] : entries) {
        std::vector<mvg::viz::tile> r{gray_tile(s.query.prompts[0]->input), gray_tile(s.query.prompts[0]->target),
                                      gray_tile(s.query.query->input), gray_tile(s.query.query->target)};
        for (const auto& m : img_methods) r.push_back(gray_tile(s.by_method.at(m)));
        rows.push_back(std::move(r));
        titles.push_back("z" + std::to_string(s.query.query->slice));
      }
      files.push_back(save(dir, task, cols, titles, rows));
    }
    return files;
  }

private:
  static std::string key(const std::string& a, const std::string& b, std::size_t i) {
    return a + "/" + b + "/" + std::to_string(i);
  }
  static std::string save(const std::filesystem::path& dir, const std::string& name, const std::vector<std::string>& cols,
                          const std::vector<std::string>& titles, const std::vector<std::vector<mvg::viz::tile>>& rows) {
    const auto path = (dir / (name + ".png")).string();
    mvg::viz::picture_grid(cols, titles, rows, 2).save(path);
    return path;
  }

  std::size_t per_set_;
  std::set<std::string> keys_;
  std::map<std::string, std::map<std::string, shown<mvg::eval::seg_query, mvg::eval::label_image>>> seg_;
  std::map<std::string, std::map<std::string, shown<mvg::eval::image_query, mvg::eval::gray_image>>> img_;
};

}  // namespace example
