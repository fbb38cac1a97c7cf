@invoices @invoices_10 @invoices_12 @emulator_only
Feature: A deposit notified before the merchant has Cryptopay's answer is credited
  Proves, in Cryptopay's words:
  - Invoices item 10: Make sure that you have received the callbacks and processed them correctly on your side
  - Invoices item 12: Make sure that you credit funds to the customer balance when the payment status is completed
  Cryptopay sends its notifications on their own, not after its answers: a deposit paid at once can be
  notified, up to its completion, before Cryptopay's answer to the merchant's request for the invoice has
  reached the merchant. The merchant must not lose those notifications: it finds the deposit by what Cryptopay
  says, and credits it once it completes.
  Emulator only: the sandbox cannot make a notification overtake its answer.

  Scenario: A deposit notified before the merchant has Cryptopay's answer for it is credited
    Given a new customer
    And Cryptopay will notify the merchant of the customer's next deposit, paid in full, before answering for it
    When the customer asks to deposit 100.00 EUR, paid in crypto
    Then Cryptopay sent the merchant the notifications of the deposit before its answer for it
    And the merchant records the deposit as completed
    And the customer's balance shows 100.00 EUR
