@payouts @payouts_1
Feature: The amount field decides what the customer is charged and what arrives
  Proves, in Cryptopay's words:
  - Payouts item 1: Make sure that you understand the difference between the charged_amount and charged_amount_to_send fields in the use scenarios to specify the amount to be paid
  A customer asks to withdraw an amount from their balance. The merchant passes that amount to Cryptopay in
  one of two fields, always the same one, and tells the certification which; the report names it in each
  scenario. The fields differ in who bears Cryptopay's fee and the network fee: taken out of the amount, or
  added on top of it. Whichever it is, the customer is charged exactly what Cryptopay charged the merchant's
  account. It is checked for a payout in crypto from a
  balance in euros (a conversion) and for one paid out in the coin the balance is kept in.

  Background:
    Given the merchant sends the amount a customer asks for in the one field it uses, and the fields mean:
      | field                  | fees                       | Cryptopay charges the merchant | the recipient receives   |
      | charged_amount         | deducted from the amount   | the amount                     | the amount less the fees |
      | charged_amount_to_send | added on top of the amount | the amount plus the fees       | the amount               |
    And the merchant's Cryptopay account holds 1000.00 EUR to pay customers out
    And a new customer

  Scenario Outline: A payout <kind> charges and sends what the merchant's field means
    Given the customer has a balance of <balance> <currency>
    When the customer asks to withdraw <amount> <currency>, sent in <coin>
    Then Cryptopay reports charging what the table says for the merchant's field
    And the recipient receives what the table says for the merchant's field
    And the customer has been debited what Cryptopay charged for the payout, once

    Examples:
      | kind                       | balance | amount | currency | coin   |
      | from euros into crypto     | 100.00  | 20.00  | EUR      | crypto |
      | in the coin of the balance | 0.01    | 0.002  | BTC      | BTC    |
