#include "mqtt/dynsec.hpp"

#include "mqtt/publisher.hpp"
#include "mqtt/subscriber.hpp"
#include "mqtt/topics.hpp"

namespace iotfleet::mqtt {

using core::Error;
using Clock = std::chrono::steady_clock;

DynsecClient::DynsecClient(std::unique_ptr<Publisher> pub, std::unique_ptr<Subscriber> sub,
                           std::chrono::milliseconds timeout)
    : pub_(std::move(pub)), sub_(std::move(sub)), timeout_(timeout) {}

DynsecClient::~DynsecClient() {
  // Both of paho's threads stop before either client is freed (detail::Connection::close).
  sub_->close();
  pub_->close();
}

core::Result<std::unique_ptr<DynsecClient>> DynsecClient::connect(
    const Settings& admin, std::chrono::milliseconds timeout) {
  Settings sub_settings = admin;
  sub_settings.client_id += "-resp";
  auto sub = Subscriber::connect(sub_settings, timeout);
  if (!sub) return sub.error();
  if (auto s = (*sub)->subscribe(std::string(kDynsecTopic) + "/response"); !s) return s.error();
  auto pub = Publisher::connect(admin, timeout);
  if (!pub) return pub.error();
  return std::unique_ptr<DynsecClient>(new DynsecClient(std::move(*pub), std::move(*sub), timeout));
}

core::Result<std::vector<DynsecResponse>> DynsecClient::execute(
    const std::vector<nlohmann::json>& commands) {
  if (commands.empty()) return std::vector<DynsecResponse>{};
  const std::string prefix = "iotfleet-" + std::to_string(next_id_++) + "-";
  nlohmann::json body = {{"commands", nlohmann::json::array()}};
  for (std::size_t i = 0; i < commands.size(); ++i) {
    auto c = commands[i];
    c["correlationData"] = prefix + std::to_string(i);
    body["commands"].push_back(std::move(c));
  }
  if (auto s = pub_->publish(std::string(kDynsecTopic), body.dump(), 1); !s) return s.error();

  std::vector<std::optional<DynsecResponse>> answers(commands.size());
  std::size_t answered = 0;
  const auto deadline = Clock::now() + timeout_;
  while (answered < commands.size()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0)
      return Error::unavailable("the broker's dynamic-security plugin did not answer " +
                                    std::to_string(commands.size() - answered) + " of " +
                                    std::to_string(commands.size()) + " command(s) within " +
                                    std::to_string(timeout_.count()) + " ms",
                                "is mosquitto_dynamic_security.so loaded, and does the MQTT user "
                                "have the plugin's admin role?");
    auto m = sub_->next(left);
    if (!m) return m.error();
    if (!m->has_value()) continue;
    const auto j = nlohmann::json::parse((*m)->payload, nullptr, false);
    if (!j.is_object() || !j.contains("responses") || !j["responses"].is_array()) continue;
    for (const auto& r : j["responses"]) {
      const std::string correlation = r.value("correlationData", "");
      if (!correlation.starts_with(prefix)) continue;  // another admin's answer
      std::size_t index = 0;
      try {
        index = std::stoul(correlation.substr(prefix.size()));
      } catch (const std::exception&) {
        continue;
      }
      if (index >= answers.size() || answers[index]) continue;
      answers[index] = DynsecResponse{r.value("command", ""), r.value("error", ""),
                                      r.contains("data") ? r["data"] : nlohmann::json()};
      ++answered;
    }
  }
  std::vector<DynsecResponse> out;
  for (auto& a : answers) out.push_back(std::move(*a));
  return out;
}

std::string device_role_name(const std::string& client_id) { return "device-" + client_id; }

core::Result<nlohmann::json> device_role_command(const std::string& key,
                                                 const std::string& client_id,
                                                 const std::string& model_code) {
  if (model_code.empty()) return core::Error::failure("model code is empty: it cannot be an MQTT topic level");
  auto topics = device_topics(key, client_id, model_code);
  if (!topics) return topics.error();
  auto acl = [](const char* type, const std::string& topic) {
    return nlohmann::json{{"acltype", type}, {"topic", topic}, {"priority", 0}, {"allow", true}};
  };
  nlohmann::json acls = nlohmann::json::array();
  for (const auto& topic : topics->write) acls.push_back(acl("publishClientSend", topic));
  for (const auto& topic : topics->read) acls.push_back(acl("subscribePattern", topic));
  return nlohmann::json{{"command", "createRole"},
                        {"rolename", device_role_name(client_id)},
                        {"textdescription", "iot-fleet-toolkit device " + key},
                        {"acls", acls}};
}

}  // namespace iotfleet::mqtt
