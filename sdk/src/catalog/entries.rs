//! The catalog's lines: one [`StatusLine`] constant per status line of the seed and [`CATALOG`],
//! the table that explains them.
//!
//! Codes and reason phrases are reproduced byte-exact from the seed, odd spellings included
//! (`404 Not found`, `493 Undeciperable`, `504 Server time-out`); they are facts operators' tooling
//! matches on. The English and Russian meanings are Ringway's own wording of the same facts.
//!
//! Each line's Q.850 cause is Asterisk's for its code ([`cause_for_status`]) unless the phrase says
//! something more specific; those lines are marked `// specific` below, and the reason is in the
//! phrase: no route (3), a malformed number (28), exhausted routes (34), a codec problem (58), a
//! database hiccup (41, temporary), a moved account (22). Money trouble keeps 21, the cause of a
//! plain `403`: Q.850 has no cause for an empty balance, and the call was refused by policy.
//!
//! [`cause_for_status`]: crate::cause::cause_for_status

use super::{Entry, StatusLine};
use crate::StatusCode;
use crate::cause::{Q850Cause, dial_status_for_outcome};

macro_rules! catalog {
    ($(
        $name:ident = $code:literal, $reason:literal, $cause:ident,
            en: $en:literal,
            ru: $ru:literal;
    )*) => {
        $(
            #[doc = concat!("`", stringify!($code), " ", $reason, "`: ", $en)]
            pub const $name: StatusLine =
                StatusLine { code: StatusCode::from_u16_const($code), reason: $reason };
        )*

        /// Every status line of the seed, in the seed's order, with its meaning and the cause and
        /// `DIALSTATUS` Asterisk gives it.
        pub static CATALOG: &[Entry] = &[$(
            Entry {
                line: $name,
                meaning_en: $en,
                meaning_ru: $ru,
                q850: Q850Cause::$cause,
                dial_status: dial_status_for_outcome($name.code, Q850Cause::$cause),
            },
        )*];

        /// Each constant's name with its line, to check the naming rule.
        #[cfg(test)]
        pub(super) const CONSTANT_NAMES: &[(&str, StatusLine)] = &[$((stringify!($name), $name),)*];
    };
}

catalog! {
    TRYING_100 = 100, "Trying", NORMAL_CLEARING,
        en: "The request arrived and is being worked on; a final response will follow.",
        ru: "Запрос принят в работу, окончательный ответ ещё впереди.";
    RINGING_180 = 180, "Ringing", NORMAL_CLEARING,
        en: "The callee has been located and their phone is alerting.",
        ru: "Абонент найден, его телефон звонит.";
    CALL_IS_BEING_FORWARDED_181 = 181, "Call is Being Forwarded", NORMAL_CLEARING,
        en: "A proxy is forwarding the call to another user.",
        ru: "Прокси передаёт вызов другому пользователю.";
    CALL_IS_QUEUED_182 = 182, "Call is Queued", NORMAL_CLEARING,
        en: "The callee cannot take the call right now, so it waits in a queue.",
        ru: "Абонент пока не может ответить, вызов ждёт в очереди.";
    SESSION_PROGRESS_183 = 183, "Session Progress", NORMAL_CLEARING,
        en: "Early progress: gateways on the path describe the session (and may send media) \
             before the callee answers.",
        ru: "Шлюзы на пути вызова заранее сообщают параметры сеанса (и могут дать звук) ещё до \
             ответа абонента.";
    OK_200 = 200, "OK", NORMAL_CLEARING,
        en: "The request succeeded; for an INVITE, the call is answered.",
        ru: "Запрос выполнен; для INVITE это значит, что на вызов ответили.";
    ACCEPTED_202 = 202, "Accepted", NORMAL_CLEARING,
        en: "The request was accepted; its processing is reported on later.",
        ru: "Запрос принят, о ходе его обработки сообщат позже.";
    MULTIPLE_CHOICES_300 = 300, "Multiple Choices", NORMAL_CLEARING,
        en: "The callee can be reached at several SIP addresses, listed in the response.",
        ru: "У абонента несколько SIP-адресов, их список приложен к ответу.";
    MOVED_PERMANENTLY_301 = 301, "Moved Permanently", NORMAL_CLEARING,
        en: "The callee is no longer at the requested address.",
        ru: "По запрошенному адресу абонента больше нет.";
    MOVED_TEMPORARILY_302 = 302, "Moved Temporarily", NORMAL_CLEARING,
        en: "The callee is temporarily at another location.",
        ru: "Абонент временно находится по другому адресу.";
    USE_PROXY_305 = 305, "Use Proxy", NORMAL_CLEARING,
        en: "The callee cannot be reached directly; the call must go through a proxy.",
        ru: "Напрямую до абонента не дозвониться, вызов нужно вести через прокси.";
    ALTERNATIVE_SERVICE_380 = 380, "Alternative Service", NORMAL_CLEARING,
        en: "The requested service is not available, but alternatives are.",
        ru: "Запрошенной услуги нет, зато есть другие.";
    BAD_REQUEST_400 = 400, "Bad Request", INTERWORKING,
        en: "The request could not be parsed; a signalling fault, most likely device \
             configuration.",
        ru: "Запрос не разобран из-за ошибок в нём; сбой сигнализации, чаще всего из-за настроек \
             оборудования.";
    UNAUTHORIZED_401 = 401, "Unauthorized", CALL_REJECTED,
        en: "The normal challenge: the user has not authenticated yet; the device retries with \
             its login and password.",
        ru: "Обычный запрос авторизации: устройство должно повторить запрос с логином и паролем.";
    EXPIRED_AUTHORIZATION_401 = 401, "Expired Authorization", CALL_REJECTED,
        en: "The registration has expired.",
        ru: "Срок действия регистрации закончился.";
    PAYMENT_REQUIRED_402 = 402, "Payment Required", INTERWORKING,
        en: "Payment is required (the code is reserved for future use).",
        ru: "Нужна оплата (код оставлен на будущее).";
    NO_SUCH_USER_403 = 403, "No Such User", CALL_REJECTED,
        en: "The user does not exist: the number, login or password is wrong.",
        ru: "Такого пользователя нет: неверен номер, логин или пароль.";
    USER_DISABLED_403 = 403, "User Disabled", CALL_REJECTED,
        en: "The user's account is disabled.",
        ru: "Учётная запись пользователя заблокирована.";
    WRONG_GUESS_403 = 403, "Wrong Guess", CALL_REJECTED,
        en: "The password is wrong.",
        ru: "Пароль указан неверно.";
    CONFLICT_403 = 403, "Conflict", CALL_REJECTED,
        en: "This SIP number is already in use.",
        ru: "Этот SIP-номер уже кем-то занят.";
    FORBIDDEN_403 = 403, "Forbidden", CALL_REJECTED,
        en: "The caller is not registered.",
        ru: "Звонящий не прошёл регистрацию.";
    EMPTY_ROUTE_SET_403 = 403, "Empty Route Set", NO_ROUTE_DESTINATION, // specific
        en: "Routing holds no gateway at all for this call.",
        ru: "В маршрутизации для этого вызова не оказалось ни одного шлюза.";
    CALLER_NOT_REGISTERED_403 = 403, "Caller Not Registered", CALL_REJECTED,
        en: "The calling user is unknown.",
        ru: "Звонящий пользователь неизвестен.";
    OUT_OF_LOOK_AHEAD_RETRIES_403 = 403, "Out of Look-Ahead Retries",
        NORMAL_CIRCUIT_CONGESTION, // specific
        en: "Every candidate gateway has been tried and none is left.",
        ru: "Все подходящие шлюзы перепробованы, больше вариантов нет.";
    INVALID_PHONE_NUMBER_403 = 403, "Invalid Phone Number", INVALID_NUMBER_FORMAT, // specific
        en: "No such destination exists.",
        ru: "Такого направления не существует.";
    NO_MONEY_LEFT_ON_RFC_ACCOUNT_403 = 403, "No Money Left on RFC Account", CALL_REJECTED,
        en: "The account has no funds to pay for the call.",
        ru: "На счёте не хватает средств, чтобы оплатить звонок.";
    NOT_FOUND_404 = 404, "Not found", UNALLOCATED,
        en: "The callee was not found: there is no such SIP number.",
        ru: "Вызываемый абонент не найден: SIP-номера с таким значением нет.";
    UNDEFINED_REASON_404 = 404, "Undefined Reason", UNALLOCATED,
        en: "The destination is not defined.",
        ru: "Направление не задано.";
    UNKNOWN_USER_ACCOUNT_404 = 404, "Unknown user account", UNALLOCATED,
        en: "No account matches the login and password.",
        ru: "Учётной записи с такими логином и паролем нет.";
    OUT_OF_ORDER_404 = 404, "Out of Order", NO_ROUTE_DESTINATION, // specific
        en: "The routing request for this destination lists no gateway; check the routing set up \
             for it.",
        ru: "В маршруте для этого направления нет ни одного шлюза — проверьте его настройку.";
    METHOD_NOT_ALLOWED_405 = 405, "Method Not Allowed", INTERWORKING,
        en: "The method is not supported, e.g. when a device tries to send voicemail.",
        ru: "Метод не поддерживается — так бывает, например, при попытке отправить голосовую \
             почту.";
    NO_CODECS_MATCH_406 = 406, "No codecs match", BEARERCAPABILITY_NOTAVAIL, // specific
        en: "The codecs are misconfigured: the two sides share none.",
        ru: "Кодеки настроены неверно: общих у сторон нет.";
    NOT_ACCEPTABLE_406 = 406, "Not Acceptable", INTERWORKING,
        en: "The user is unavailable.",
        ru: "Абонент сейчас недоступен.";
    PROXY_AUTHENTICATION_REQUIRED_407 = 407, "Proxy Authentication Required", CALL_REJECTED,
        en: "The proxy requires the caller to authenticate.",
        ru: "Прокси-сервер требует подтвердить подлинность звонящего.";
    REQUEST_TIMEOUT_408 = 408, "Request Timeout", NO_USER_RESPONSE,
        en: "The request took too long: the callee could not be located in the time allowed.",
        ru: "Время на обработку вышло: абонента не удалось найти вовремя.";
    LOGIN_TIMED_OUT_408 = 408, "Login timed out", NO_USER_RESPONSE,
        en: "The server did not answer the authorization request in time.",
        ru: "Сервер вовремя не ответил на запрос авторизации.";
    NO_ROUTE_410 = 410, "No Route", NO_ROUTE_DESTINATION, // specific
        en: "A variant of 403 Empty Route Set: there is no way to the resource; the address no \
             longer exists.",
        ru: "Разновидность 403 Empty Route Set: пути к ресурсу нет, такого адреса больше не \
             существует.";
    REQUEST_ENTITY_TOO_LARGE_413 = 413, "Request Entity Too Large", INTERWORKING,
        en: "The request is too big for the server to handle.",
        ru: "Запрос слишком велик, сервер не может его обработать.";
    NO_MEDIA_415 = 415, "No Media", BEARERCAPABILITY_NOTAVAIL, // specific
        en: "The call uses a codec that is not supported.",
        ru: "Для звонка выбран кодек, который здесь не поддерживается.";
    UNSUPPORTED_SCHEME_416 = 416, "Unsupported Scheme", INTERWORKING,
        en: "The server does not understand the URI scheme of the destination address.",
        ru: "Сервер не понимает схему адреса получателя.";
    BAD_EXTENSION_420 = 420, "Bad extension", NO_ROUTE_DESTINATION,
        en: "The server does not understand a SIP protocol extension the request relies on.",
        ru: "Сервер не знает расширения протокола SIP, на которое опирается запрос.";
    EXTENSION_REQUIRED_421 = 421, "Extension Required", INTERWORKING,
        en: "The server needs an extension to process the request, and the request does not name \
             it.",
        ru: "Серверу для обработки нужно расширение, а в запросе оно не названо.";
    INTERVAL_TOO_BRIEF_423 = 423, "Interval Too Brief", INTERWORKING,
        en: "The lifetime requested for the resource (e.g. a registration) is too short.",
        ru: "Запрошенный срок действия ресурса (например, регистрации) слишком мал.";
    INVALID_PHONE_NUMBER_480 = 480, "Invalid Phone Number", INVALID_NUMBER_FORMAT, // specific
        en: "The phone number is malformed: wrong number of digits or a wrong country or area \
             code.",
        ru: "Номер набран с ошибкой: не то число цифр либо неверный код страны или города.";
    DESTINATION_NOT_FOUND_IN_CLIENT_PLAN_480 = 480, "Destination Not Found In Client Plan",
        NO_ROUTE_DESTINATION, // specific
        en: "The customer's tariff plan does not include this destination.",
        ru: "Этого направления нет в тарифном плане клиента.";
    WRONG_DB_RESPONSE_480 = 480, "Wrong DB Response", NORMAL_TEMPORARY_FAILURE, // specific
        en: "The network's central database is in trouble (it gave a bad answer).",
        ru: "Неполадки в центральной базе данных сети (она вернула негодный ответ).";
    DB_TIMEOUT_480 = 480, "DB Timeout", NORMAL_TEMPORARY_FAILURE, // specific
        en: "The network's central database is in trouble (it did not answer in time).",
        ru: "Неполадки в центральной базе данных сети (она не ответила вовремя).";
    DATABASE_ERROR_480 = 480, "Database Error", NORMAL_TEMPORARY_FAILURE, // specific
        en: "The network's central database is in trouble (it reported an error).",
        ru: "Неполадки в центральной базе данных сети (она сообщила об ошибке).";
    CODEC_MISMATCH_480 = 480, "Codec Mismatch", BEARERCAPABILITY_NOTAVAIL, // specific
        en: "The codecs of the two sides do not match.",
        ru: "Кодеки сторон не совпадают.";
    NO_MONEY_LEFT_ON_RFC_ACCOUNT_480 = 480, "No Money Left on RFC Account",
        CALL_REJECTED, // specific
        en: "The account is out of money; contact the network administrator.",
        ru: "Деньги на счёте закончились — свяжитесь с администратором сети.";
    EMPTY_ROUTE_SET_480 = 480, "Empty Route Set", NO_ROUTE_DESTINATION, // specific
        en: "The destination is empty: no gateway accepts calls to it.",
        ru: "Направление пустое: ни один шлюз не принимает на него вызовы.";
    NO_MONEY_LEFT_480 = 480, "No money left", CALL_REJECTED, // specific
        en: "The balance is too low for this call.",
        ru: "Баланса не хватает на этот звонок.";
    TEMPORARILY_UNAVAILABLE_480 = 480, "Temporarily Unavailable", NO_ANSWER,
        en: "The destination is temporarily unreachable; try again later.",
        ru: "Направление временно недоступно, повторите звонок позже.";
    CALL_LEG_TRANSACTION_DOES_NOT_EXIST_481 = 481, "Call Leg/Transaction Does Not Exist",
        INTERWORKING,
        en: "Nothing was done: no matching dialog or transaction; the normal answer to a \
             duplicate packet.",
        ru: "Ничего не сделано: подходящего диалога или транзакции нет; обычный ответ на \
             повторный пакет.";
    LOOP_DETECTED_482 = 482, "Loop Detected", INTERWORKING,
        en: "The request is travelling in a loop.",
        ru: "Запрос ходит по кругу.";
    TOO_MANY_HOPS_483 = 483, "Too Many Hops", NO_ANSWER,
        en: "The request passed through more proxies than allowed.",
        ru: "Запрос прошёл через больше прокси-серверов, чем допустимо.";
    ADDRESS_INCOMPLETE_484 = 484, "Address Incomplete", INVALID_NUMBER_FORMAT,
        en: "The request's address is incomplete.",
        ru: "Адрес в запросе указан не полностью.";
    AMBIGUOUS_485 = 485, "Ambiguous", UNALLOCATED,
        en: "The callee's address is ambiguous.",
        ru: "Адрес абонента допускает несколько толкований.";
    BUSY_HERE_486 = 486, "Busy Here", USER_BUSY,
        en: "The callee is busy.",
        ru: "Абонент занят.";
    REQUEST_TERMINATED_487 = 487, "Request Terminated", INTERWORKING,
        en: "The request was cancelled, usually because the caller gave up before an answer.",
        ru: "Запрос отменён — как правило, звонящий сбросил вызов до ответа.";
    CODEC_MISMATCH_488 = 488, "Codec Mismatch", BEARERCAPABILITY_NOTAVAIL,
        en: "No gateway supports the requested codec.",
        ru: "Ни один шлюз не умеет работать с нужным кодеком.";
    PRIVATE_IP_ADDRESS_488 = 488, "Private IP Address", BEARERCAPABILITY_NOTAVAIL,
        en: "The RTP media address is in a private (RFC 1918) network.",
        ru: "Адрес RTP-потока принадлежит частной сети (RFC 1918).";
    REQUEST_PENDING_491 = 491, "Request Pending", INTERWORKING,
        en: "The server is still processing another request of the same dialog.",
        ru: "Сервер ещё занят другим запросом того же диалога.";
    UNDECIPERABLE_493 = 493, "Undeciperable", INTERWORKING,
        en: "The server has no key to decrypt the S/MIME body of the message.",
        ru: "У сервера нет ключа, чтобы расшифровать тело сообщения S/MIME.";
    CODEC_MISMATCH_499 = 499, "Codec Mismatch", BEARERCAPABILITY_NOTAVAIL, // specific
        en: "The required codec is missing.",
        ru: "Нужного кодека нет.";
    INTERNAL_SERVER_ERROR_500 = 500, "Internal Server Error", NETWORK_OUT_OF_ORDER,
        en: "The server failed internally.",
        ru: "Сбой внутри сервера.";
    DB_TIMEOUT_500 = 500, "DB Timeout", NORMAL_TEMPORARY_FAILURE, // specific
        en: "The database did not answer.",
        ru: "База данных молчит.";
    DATABASE_ERROR_500 = 500, "Database Error", NORMAL_TEMPORARY_FAILURE, // specific
        en: "The same database failure as DB Timeout, at a different moment of the call.",
        ru: "Тот же отказ базы данных, что и DB Timeout, но на другом этапе звонка.";
    WRONG_DB_RESPONSE_500 = 500, "Wrong DB Response", NORMAL_TEMPORARY_FAILURE, // specific
        en: "The database answered with something invalid; a rare error.",
        ru: "База данных вернула некорректный ответ; ошибка редкая.";
    UNDEFINED_REASON_500 = 500, "Undefined Reason", NETWORK_OUT_OF_ORDER,
        en: "The cause is undefined.",
        ru: "Причина не установлена.";
    ACCOUNT_HAS_BEEN_MOVED_TO_A_REMOTE_SYSTEM_500 = 500,
        "account has been moved to a remote system", NUMBER_CHANGED, // specific
        en: "The account has been transferred to a remote system.",
        ru: "Учётная запись переведена в удалённую систему.";
    METHOD_NOT_SUPPORTED_HERE_501 = 501, "Method Not Supported Here", FACILITY_REJECTED,
        en: "The server lacks a function the request needs: its SIP method is not supported.",
        ru: "Серверу не хватает функции, нужной для запроса: такой метод SIP он не поддерживает.";
    BAD_GATEWAY_502 = 502, "Bad Gateway", DESTINATION_OUT_OF_ORDER,
        en: "A gateway or proxy got an invalid response from the server it forwarded the request \
             to.",
        ru: "Шлюз или прокси получил негодный ответ от сервера, которому передал запрос.";
    SERVICE_UNAVAILABLE_503 = 503, "Service Unavailable", NORMAL_CIRCUIT_CONGESTION,
        en: "The server cannot take the call right now: it is overloaded or under maintenance.",
        ru: "Сервер сейчас не может принять вызов: он перегружен или на обслуживании.";
    SERVER_TIME_OUT_504 = 504, "Server time-out", RECOVERY_ON_TIMER_EXPIRE,
        en: "The server got no timely answer from the server it asked to complete the call.",
        ru: "Сервер не дождался ответа от сервера, которому поручил завершить вызов.";
    SIP_VERSION_NOT_SUPPORTED_505 = 505, "SIP Version not supported", INTERWORKING,
        en: "The server does not support this version of the SIP protocol.",
        ru: "Эту версию протокола SIP сервер не поддерживает.";
    MESSAGE_TOO_BIG_513 = 513, "Message too big", NORMAL_CIRCUIT_CONGESTION,
        en: "The message is too long for the server to process.",
        ru: "Сообщение слишком длинное, сервер не может его обработать.";
    BUSY_EVERYWHERE_600 = 600, "Busy everywhere", USER_BUSY,
        en: "The callee is busy and does not wish to take a call now.",
        ru: "Абонент занят и сейчас не хочет принимать звонки.";
    DECLINE_603 = 603, "Decline", CALL_REJECTED,
        en: "The callee does not wish to take the call and gives no reason.",
        ru: "Абонент отказался от звонка, не объяснив причину.";
    DOES_NOT_EXIST_ANYWHERE_604 = 604, "Does Not Exist Anywhere", UNALLOCATED,
        en: "The callee does not exist.",
        ru: "Такого абонента не существует.";
    NOT_ACCEPTABLE_606 = 606, "Not Acceptable", BEARERCAPABILITY_NOTAVAIL,
        en: "The server was reached, but some session parameters (media type, bandwidth, \
             addressing) are not available.",
        ru: "До сервера достучались, но часть параметров сеанса (тип медиа, полоса, адресация) \
             недоступна.";
}
